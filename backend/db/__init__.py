"""Database plumbing: declarative base, engines and tenant-scoped sessions."""

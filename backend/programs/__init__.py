"""Certification programs: one standard, its lifecycle and the seven implementation steps."""

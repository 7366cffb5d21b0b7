"""The standards catalog: global, versioned, read-only for tenants."""

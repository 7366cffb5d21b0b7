"""Controlled documents: documented information under review and approval."""

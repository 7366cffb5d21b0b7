"""Certification audits, the three-year cycle and certificates (step 7 and maintenance)."""

"""Frozen evidence packages for auditors."""

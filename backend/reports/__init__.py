"""Reports people hand over: spreadsheet exports and PDF reports, stored as immutable files."""

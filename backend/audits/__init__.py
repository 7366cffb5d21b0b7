"""Internal audits: the audit programme, audits, their checklists and coverage."""

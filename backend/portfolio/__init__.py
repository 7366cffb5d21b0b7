"""The consultant's portfolio: every client at a glance, one's own work queue across clients,
and requirement assignments (who answers for what)."""

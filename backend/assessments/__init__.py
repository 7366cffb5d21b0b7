"""Gap analysis: how a program's organization stands against each requirement."""

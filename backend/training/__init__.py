"""Training and competence: sessions, attendance, and what each role must know."""

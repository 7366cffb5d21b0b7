"""Reminders before due dates: in-app notifications, e-mail and a calendar feed per person."""

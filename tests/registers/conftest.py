"""Fixtures of the registers tests: the findings seed (tenant A runs programs on P and Q, B on
P), a session below the API, and A's owner acting in A."""

from tests.audits.conftest import owner_a, plan, session

__all__ = ["owner_a", "plan", "session"]

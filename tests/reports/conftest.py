"""Fixtures of the reports tests: the audits tests' (the findings seed, a session below the
API, A's owner acting in A)."""

from tests.audits.conftest import owner_a, plan, session

__all__ = ["owner_a", "plan", "session"]

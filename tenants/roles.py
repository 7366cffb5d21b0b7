"""Roles a principal can hold in an organization, and what each may do there."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """Roles from strongest to weakest.

    `consultant` comes from an active consultancy engagement and `auditor` from a valid
    auditor grant; neither is stored on a membership. A consultant runs the client's
    programme, so it ranks just below the client's own administrators.
    """

    OWNER = "owner"
    ADMIN = "admin"
    CONSULTANT = "consultant"
    MANAGER = "manager"
    CONTRIBUTOR = "contributor"
    VIEWER = "viewer"
    AUDITOR = "auditor"

    @property
    def rank(self) -> int:
        """Lower is stronger; used to keep the strongest role when several routes grant access."""
        return list(Role).index(self)


MEMBERSHIP_ROLES = (Role.OWNER, Role.ADMIN, Role.MANAGER, Role.CONTRIBUTOR, Role.VIEWER)
ENGAGEMENT_ROLES = (Role.CONSULTANT, Role.VIEWER)
"""The roles a client lets a consultancy's people hold: run its programme, or only read it."""

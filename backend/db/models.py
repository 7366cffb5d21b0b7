"""Every mapped table, for migrations and tests that need the complete metadata.

The feature registry imports each area's models, so importing it completes `Base.metadata`.
"""

from backend import features  # noqa: F401 - registers every area's tables
from backend.db.base import Base

__all__ = ["Base"]

"""The feature modules that contribute exit criteria to the seven steps.

Importing this module registers them all. A new feature that judges a step adds its
criteria module here; the steps themselves (backend/programs) stay untouched.
"""

from backend.assessments import criteria as gap_analysis
from backend.documents import criteria as documentation
from backend.evidence import criteria as records
from backend.findings import criteria as findings
from backend.planning import criteria as planning
from backend.training import criteria as training

__all__ = ["documentation", "findings", "gap_analysis", "planning", "records", "training"]

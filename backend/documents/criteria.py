"""Exit criterion of the documentation step: the documented information the standard asks
for exists, is approved and is reviewed in time.

One SQL statement, whatever the size of the program.
"""

from __future__ import annotations

from sqlalchemy import String, exists, func, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by

from backend.catalog.models import Clause
from backend.db.session import TenantSession
from backend.documents.models import ControlledDocument, DocumentRequirement
from backend.documents.review import covers_sql, today
from backend.programs.criteria import Verdict, criterion
from backend.programs.models import Program, StepKey

NAMED_ITEMS = 5  # how many uncovered mandatory items a reason names


@criterion(
    StepKey.DOCUMENTATION,
    "mandatory-documents-covered",
    "Every mandatory item is covered by an approved, in-date document.",
)
async def mandatory_documents_covered(db: TenantSession, program: Program) -> Verdict:
    covered = exists().where(
        DocumentRequirement.program_id == program.id,
        DocumentRequirement.clause_id == Clause.id,
        ControlledDocument.id == DocumentRequirement.document_id,
        covers_sql(today()),
    )
    uncovered = ~covered
    numbers = func.array_agg(aggregate_order_by(Clause.number, Clause.position)).filter(uncovered)
    row = (
        await db.execute(
            select(
                func.count(),
                func.count().filter(uncovered),
                type_coerce(numbers, ARRAY(String))[1:NAMED_ITEMS],
            ).where(Clause.standard_id == program.standard_id, Clause.documented_information)
        )
    ).one()
    return _verdict(int(row[0]), int(row[1]), list(row[2] or []))


def _verdict(items: int, missing: int, named: list[str]) -> Verdict:
    if items == 0:
        return Verdict(True, "The standard asks for no documented information.")
    if missing == 0:
        return Verdict(
            True, f"All {items} mandatory items are covered by an approved, in-date document."
        )
    more = f" and {missing - len(named)} more" if missing > len(named) else ""
    subject = "1 mandatory item is" if missing == 1 else f"{missing} mandatory items are"
    return Verdict(
        False,
        f"{subject} not covered by an approved, in-date document: {', '.join(named)}{more}.",
    )

"""Standards and their clause trees (Annex A controls included), shared by every tenant.

Loaded from the data files in `backend/catalog/data` by the schema owner; the app role may
only read these tables. Clause numbers and short titles are facts about the standards; the
guidance is our own words.
"""

from __future__ import annotations

import enum
import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db.base import Base, Identified, Timestamped, value_enum


class ClauseKind(enum.StrEnum):
    CLAUSE = "clause"  # the management-system clauses 4 to 10
    CONTROL = "control"  # an annex control (ISO/IEC 27001 Annex A)


class Standard(Identified, Timestamped, Base):
    __tablename__ = "standards"
    __table_args__ = (UniqueConstraint("code", "edition", name="uq_standards_code_edition"),)

    code: Mapped[str] = mapped_column(String(40))  # "ISO 9001", "ISO/IEC 27001"
    edition: Mapped[str] = mapped_column(String(10))  # "2015"
    title: Mapped[str] = mapped_column(String(300))
    purpose: Mapped[str] = mapped_column(Text)
    # [{"key": "leadership", "title": "Leadership"}, ...]: the standard's key components.
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # SHA-256 of the data file it was loaded from, so reloading an unchanged file is a no-op.
    source_digest: Mapped[str] = mapped_column(String(64))

    clauses: Mapped[list[Clause]] = relationship(
        back_populates="standard", order_by="Clause.position", cascade="all, delete-orphan"
    )


class Clause(Identified, Base):
    """One node of a standard's tree: a clause, a sub-clause or an annex control.

    `assessable` nodes are the leaves a gap analysis assesses. `hs_key` names the clause of
    the harmonized structure it implements, shared by the equivalent clause of every
    management-system standard (internal audit is "9.2" in all four).
    """

    __tablename__ = "clauses"
    __table_args__ = (UniqueConstraint("standard_id", "number", name="uq_clauses_standard_number"),)

    standard_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("standards.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("clauses.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    guidance: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(value_enum(ClauseKind, "clause_kind"))
    theme: Mapped[str | None] = mapped_column(String(40))  # annex controls: their theme key
    components: Mapped[list[str]] = mapped_column(JSON, default=list)
    documented_information: Mapped[bool] = mapped_column(default=False)
    hs_key: Mapped[str | None] = mapped_column(String(20), index=True)
    assessable: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int]  # document order within the standard

    standard: Mapped[Standard] = relationship(back_populates="clauses")

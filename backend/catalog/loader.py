"""Reading the standards catalog from its data files and loading it into the database.

The catalog is data, not code: every `*.yaml` in `data/` is one standard edition, in the
format described in `data/README.md`. All files are validated before anything is written,
and every problem is reported with its file and clause, so a mistake changes nothing and is
easy to find. Loading runs as the schema owner (the app role may only read the catalog),
inside `certready migrate` and on demand with `certready catalog load`, and is idempotent:
an unchanged file is skipped, a changed one updates its standard in place (clause ids stay
stable, so assessments keep pointing at the same requirement), and running programs get what
new leaves need (`upgrade.py`).
"""

from __future__ import annotations

import enum
import hashlib
import re
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.catalog.models import Clause, ClauseKind, Standard
from backend.catalog.upgrade import Upgrade, open_new_leaves, stored_leaves

DATA_DIR = Path(__file__).with_name("data")
TOP_LEVEL_CLAUSES = tuple(str(number) for number in range(4, 11))
# How long the catalog's lists may be. The GraphQL cost limit counts every catalog list at
# these sizes, so the loader refuses data that would exceed them.
MAX_STANDARDS = 20  # standard editions in the catalog
MAX_NODES = 250  # clauses and annex controls of one edition
MAX_CHILDREN = 12  # sub-clauses of one clause (ISO 13485 7.5 has 11)
MAX_COMPONENTS = 20  # key components of one edition

_KEY = re.compile(r"[a-z][a-z0-9_]*")
_SEGMENT = re.compile(r"[0-9A-Za-z]+")  # one step of a clause number: "8.5" + "." + "1"

_FILE_KEYS = ({"code", "edition", "title", "purpose", "components", "clauses"}, {"annex"})
_COMPONENT_KEYS = ({"key", "title"}, set[str]())
_NODE_KEYS = (
    {"number", "title", "guidance"},
    {"hs_key", "components", "documented_information", "children", "descriptive_title"},
)
_ANNEX_KEYS = ({"title", "themes"}, set[str]())
_THEME_KEYS = ({"key", "number", "title", "controls"}, set[str]())
# Every annex control has a title of its own, so none has a descriptive one.
_CONTROL_KEYS = (_NODE_KEYS[0], _NODE_KEYS[1] - {"children", "descriptive_title"})


class CatalogError(Exception):
    """The data files are invalid, or loading them would break what refers to the catalog."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("the standards catalog cannot be loaded:\n  " + "\n  ".join(self.problems))


@dataclass(frozen=True)
class NodeData:
    """One clause or annex control as read from a file; `position` is its document order."""

    number: str
    title: str
    guidance: str
    kind: ClauseKind
    theme: str | None
    components: tuple[str, ...]
    documented_information: bool
    hs_key: str | None
    assessable: bool
    parent_number: str | None
    position: int
    # The standard numbers this paragraph but gives it no title; `title` is our description.
    descriptive_title: bool = False


@dataclass(frozen=True)
class StandardData:
    """One data file, validated: the standard and its nodes in document order."""

    file: str
    digest: str
    code: str
    edition: str
    title: str
    purpose: str
    components: tuple[tuple[str, str], ...]  # (key, title)
    nodes: tuple[NodeData, ...]

    @property
    def label(self) -> str:
        return f"{self.code}:{self.edition}"

    @property
    def clause_count(self) -> int:
        return sum(node.kind is ClauseKind.CLAUSE for node in self.nodes)

    @property
    def assessable_count(self) -> int:
        return sum(node.assessable for node in self.nodes)

    @property
    def control_count(self) -> int:
        return sum(node.kind is ClauseKind.CONTROL for node in self.nodes)


# --- reading -------------------------------------------------------------------------------


def read_catalog(directory: Path = DATA_DIR) -> list[StandardData]:
    """Every data file in `directory`, validated; raises CatalogError listing all problems."""
    standards, problems = [], []
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise CatalogError([f"{directory}: no *.yaml data files"])
    for path in paths:
        try:
            standards.append(read_standard(path))
        except CatalogError as error:
            problems.extend(error.problems)
    labels = Counter(standard.label for standard in standards)
    problems.extend(
        f"{standard.file}: {standard.label} is also defined by another file"
        for standard in standards
        if labels[standard.label] > 1
    )
    if len(standards) > MAX_STANDARDS:
        problems.append(f"{directory}: more than {MAX_STANDARDS} standard editions")
    if problems:
        raise CatalogError(problems)
    return standards


def read_standard(path: Path) -> StandardData:
    content = path.read_bytes()
    try:
        document = yaml.safe_load(content)
    except yaml.YAMLError as error:
        raise CatalogError([f"{path.name}: not valid YAML: {error}"]) from None
    reader = _FileReader(path.name)
    standard = reader.standard(document, hashlib.sha256(content).hexdigest())
    if reader.problems:
        raise CatalogError(reader.problems)
    return standard


class _FileReader:
    """Validates one file, collecting every problem together with where it was found."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[str] = []
        self.nodes: list[NodeData] = []
        self.component_keys: set[str] = set()

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{self.file}: {where}: {message}")

    def standard(self, document: Any, digest: str) -> StandardData:
        top = self.mapping(document, "file", _FILE_KEYS)
        components = self.components(top.get("components"))
        self.clauses(top.get("clauses"))
        if "annex" in top:
            self.annex(top["annex"])
        self.check_unique_numbers()
        self.check_hs_keys()
        self.check_sizes(len(components))
        return StandardData(
            file=self.file,
            digest=digest,
            code=self.text(top, "code", "file"),
            edition=self.text(top, "edition", "file"),
            title=self.text(top, "title", "file"),
            purpose=self.text(top, "purpose", "file"),
            components=components,
            nodes=tuple(self.nodes),
        )

    # --- sections ---

    def components(self, value: Any) -> tuple[tuple[str, str], ...]:
        found: list[tuple[str, str]] = []
        for index, item in enumerate(self.sequence(value, "components")):
            where = f"components[{index}]"
            entry = self.mapping(item, where, _COMPONENT_KEYS)
            key, title = self.text(entry, "key", where), self.text(entry, "title", where)
            if key and not _KEY.fullmatch(key):
                self.problem(where, f"component key {key!r} must be lowercase snake_case")
            if key in self.component_keys:
                self.problem(where, f"component key {key!r} is listed twice")
            self.component_keys.add(key)
            found.append((key, title))
        return tuple(found)

    def clauses(self, value: Any) -> None:
        top_level = []
        for index, item in enumerate(self.sequence(value, "clauses")):
            number = self.node(item, f"clauses[{index}]", parent=None)
            if number and number not in TOP_LEVEL_CLAUSES:
                self.problem(f"clause {number}", "top-level clauses are 4 to 10")
            top_level.append(number)
        missing = [number for number in TOP_LEVEL_CLAUSES if number not in top_level]
        if missing:
            self.problem("clauses", f"missing clause(s) {', '.join(missing)}")

    def node(self, value: Any, where: str, parent: str | None) -> str:
        """Read a clause and its children (depth first, so positions follow the document)."""
        where = _place(value, "clause", where)
        entry = self.mapping(value, where, _NODE_KEYS)
        number = self.text(entry, "number", where)
        if parent is not None and number and not _extends(number, parent):
            self.problem(where, f"a child of {parent} must be numbered {parent}.<n>")
        children = self.sequence(entry.get("children", []), f"{where}: children")
        if len(children) > MAX_CHILDREN:
            self.problem(where, f"more than {MAX_CHILDREN} children")
        self.add(
            entry,
            where,
            number=number,
            parent=parent,
            kind=ClauseKind.CLAUSE,
            theme=None,
            assessable=not children,
        )
        for index, child in enumerate(children):
            self.node(child, f"{where}: children[{index}]", parent=number)
        return number

    def annex(self, value: Any) -> None:
        annex = self.mapping(value, "annex", _ANNEX_KEYS)
        self.text(annex, "title", "annex")
        for index, item in enumerate(self.sequence(annex.get("themes"), "annex: themes")):
            where = f"annex theme {index + 1}"
            theme = self.mapping(item, where, _THEME_KEYS)
            key, number = self.text(theme, "key", where), self.text(theme, "number", where)
            self.text(theme, "title", where)
            if key and not _KEY.fullmatch(key):
                self.problem(where, f"theme key {key!r} must be lowercase snake_case")
            for position, control in enumerate(self.sequence(theme.get("controls"), where)):
                self.control(control, f"{where}: controls[{position}]", number, key)

    def control(self, value: Any, where: str, theme_number: str, theme: str) -> None:
        where = _place(value, "control", where)
        entry = self.mapping(value, where, _CONTROL_KEYS)
        number = self.text(entry, "number", where)
        if number and not _extends(number, theme_number):
            self.problem(where, f"a control of theme {theme_number} must be {theme_number}.<n>")
        self.add(
            entry,
            where,
            number=number,
            parent=None,
            kind=ClauseKind.CONTROL,
            theme=theme,
            assessable=True,
        )

    def add(
        self,
        entry: dict[str, Any],
        where: str,
        *,
        number: str,
        parent: str | None,
        kind: ClauseKind,
        theme: str | None,
        assessable: bool,
    ) -> None:
        self.nodes.append(
            NodeData(
                number=number,
                title=self.text(entry, "title", where),
                guidance=self.text(entry, "guidance", where),
                kind=kind,
                theme=theme,
                components=self.tags(entry, where),
                documented_information=self.flag(entry, "documented_information", where),
                hs_key=self.optional_text(entry, "hs_key", where),
                assessable=assessable,
                parent_number=parent,
                position=len(self.nodes) + 1,
                descriptive_title=self.flag(entry, "descriptive_title", where),
            )
        )

    # --- whole-file checks ---

    def check_unique_numbers(self) -> None:
        counts = Counter(node.number for node in self.nodes if node.number)
        for number in sorted(number for number, count in counts.items() if count > 1):
            self.problem(f"clause {number}", "the number appears more than once")

    def check_sizes(self, components: int) -> None:
        if len(self.nodes) > MAX_NODES:
            self.problem("file", f"more than {MAX_NODES} clauses and controls")
        if components > MAX_COMPONENTS:
            self.problem("components", f"more than {MAX_COMPONENTS} components")

    def check_hs_keys(self) -> None:
        """A harmonized clause must map to one clause of each sibling standard."""
        counts = Counter(node.hs_key for node in self.nodes if node.hs_key)
        for hs_key in sorted(key for key, count in counts.items() if count > 1):
            self.problem(f"hs_key {hs_key}", "is on more than one clause")

    # --- values ---

    def mapping(self, value: Any, where: str, keys: tuple[set[str], set[str]]) -> dict[str, Any]:
        """`value` as a mapping with all `required` keys and no keys outside `optional`."""
        required, optional = keys
        if not isinstance(value, dict):
            self.problem(where, "expected a mapping")
            return {}
        for key in sorted(set(value) - required - optional, key=str):
            self.problem(where, f"unknown key {key!r}")
        for key in sorted(required - set(value)):
            self.problem(where, f"missing {key!r}")
        return value

    def sequence(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            self.problem(where, "expected a list")
            return []
        return value

    def text(self, entry: dict[str, Any], key: str, where: str) -> str:
        value = entry.get(key)
        if key in entry and not (isinstance(value, str) and value.strip()):
            self.problem(where, f"{key} must be a non-empty (quoted) string")
        return value.strip() if isinstance(value, str) else ""

    def optional_text(self, entry: dict[str, Any], key: str, where: str) -> str | None:
        if entry.get(key) is None:
            return None
        return self.text(entry, key, where) or None

    def flag(self, entry: dict[str, Any], key: str, where: str) -> bool:
        value = entry.get(key, False)
        if not isinstance(value, bool):
            self.problem(where, f"{key} must be true or false")
        return value is True

    def tags(self, entry: dict[str, Any], where: str) -> tuple[str, ...]:
        tags = self.sequence(entry.get("components", []), f"{where}: components")
        for tag in tags:
            if not isinstance(tag, str) or tag not in self.component_keys:
                self.problem(where, f"unknown component {tag!r}")
        if len(set(map(str, tags))) != len(tags):
            self.problem(where, "a component is listed twice")
        return tuple(str(tag) for tag in tags)


def _place(value: Any, kind: str, fallback: str) -> str:
    """How problems name a node: by its number when it has a usable one ("clause 8.5.1")."""
    number = value.get("number") if isinstance(value, dict) else None
    return f"{kind} {number.strip()}" if isinstance(number, str) and number.strip() else fallback


def _extends(number: str, parent: str) -> bool:
    """Whether `number` is `parent` plus one more step ("8.5.1" extends "8.5")."""
    prefix = f"{parent}."
    return number.startswith(prefix) and bool(_SEGMENT.fullmatch(number[len(prefix) :]))


# --- loading -------------------------------------------------------------------------------


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class LoadReport:
    standard: StandardData
    outcome: Outcome
    upgrade: Upgrade = field(default_factory=Upgrade)  # what running programs got

    def __str__(self) -> str:
        data = self.standard
        line = (
            f"{data.label}: {data.clause_count} clauses, {data.assessable_count} assessable,"
            f" {data.control_count} annex controls ({self.outcome})"
        )
        if self.upgrade.opened:
            line += (
                f"; programs got {self.upgrade.opened} assessments of new requirements,"
                f" {self.upgrade.carried} of them judged as the clause they divide"
            )
        return line


async def load_catalog(
    connection: AsyncConnection, standards: Sequence[StandardData]
) -> list[LoadReport]:
    """Bring the catalog tables in line with `standards`, in the caller's transaction.

    Standards without a file are left alone: programs may still refer to them.
    """
    return [await _load_standard(connection, standard) for standard in standards]


async def _load_standard(connection: AsyncConnection, data: StandardData) -> LoadReport:
    stored = (
        await connection.execute(
            select(Standard.id, Standard.source_digest).where(
                Standard.code == data.code, Standard.edition == data.edition
            )
        )
    ).first()
    if stored is not None and stored.source_digest == data.digest:
        return LoadReport(data, Outcome.UNCHANGED)
    standard_id = await _upsert_standard(connection, data)
    if stored is None:
        await _store_clauses(connection, standard_id, data)
        return LoadReport(data, Outcome.CREATED)
    leaves_before = await stored_leaves(connection, standard_id)
    await _store_clauses(connection, standard_id, data)
    upgrade = await open_new_leaves(connection, standard_id, data, leaves_before)
    return LoadReport(data, Outcome.UPDATED, upgrade)


async def _upsert_standard(connection: AsyncConnection, data: StandardData) -> uuid.UUID:
    values = {
        "title": data.title,
        "purpose": data.purpose,
        "components": [{"key": key, "title": title} for key, title in data.components],
        "source_digest": data.digest,
    }
    statement = (
        insert(Standard)
        .values(id=uuid.uuid4(), code=data.code, edition=data.edition, **values)
        .on_conflict_do_update(
            constraint="uq_standards_code_edition", set_={**values, "updated_at": func.now()}
        )
        .returning(Standard.id)
    )
    standard_id: uuid.UUID = (await connection.execute(statement)).scalar_one()
    return standard_id


async def _store_clauses(
    connection: AsyncConnection, standard_id: uuid.UUID, data: StandardData
) -> None:
    """Upsert every node by number (keeping existing ids), then delete the vanished ones."""
    stored = await connection.execute(
        select(Clause.number, Clause.id).where(Clause.standard_id == standard_id)
    )
    existing = {row.number: row.id for row in stored}
    ids = {node.number: existing.get(node.number) or uuid.uuid4() for node in data.nodes}
    rows = [_clause_row(node, standard_id, ids) for node in data.nodes]
    statement = insert(Clause).values(rows)
    updated = {
        column: statement.excluded[column]
        for column in rows[0]
        if column not in {"id", "standard_id", "number"}
    }
    await connection.execute(
        statement.on_conflict_do_update(constraint="uq_clauses_standard_number", set_=updated)
    )
    vanished = {number: id_ for number, id_ in sorted(existing.items()) if number not in ids}
    if vanished:
        await _delete_clauses(connection, data, vanished)


def _clause_row(
    node: NodeData, standard_id: uuid.UUID, ids: dict[str, uuid.UUID]
) -> dict[str, Any]:
    return {
        "id": ids[node.number],
        "standard_id": standard_id,
        "number": node.number,
        "parent_id": ids[node.parent_number] if node.parent_number else None,
        "title": node.title,
        "guidance": node.guidance,
        "kind": node.kind.value,
        "theme": node.theme,
        "components": list(node.components),
        "documented_information": node.documented_information,
        "hs_key": node.hs_key,
        "assessable": node.assessable,
        "position": node.position,
    }


async def _delete_clauses(
    connection: AsyncConnection, data: StandardData, vanished: dict[str, uuid.UUID]
) -> None:
    """Delete clauses a file no longer has; refused while assessments or actions use them."""
    try:
        await connection.execute(delete(Clause).where(Clause.id.in_(vanished.values())))
    except IntegrityError:
        raise CatalogError(
            [
                f"{data.file}: clause(s) {', '.join(vanished)} were removed but assessments or"
                " actions still refer to them; a new edition of a standard belongs in a new file"
            ]
        ) from None

"""How many numbered clauses and assessable requirements each shipped standard has.

The numbers are written out by hand from the published clause numbering of each standard:
every numbered clause is a node, down to the deepest level the standard numbers, whether the
standard gives it a title or not (data/README.md, "Which nodes to list"). A node with
children groups them and is not assessed; every other node, and every annex control, is one
assessable requirement. So a clause that an edit of a data file drops or adds shows up here,
with its top-level clause. No database is needed.
"""

from __future__ import annotations

import pytest

from backend.catalog.loader import StandardData, read_catalog
from backend.catalog.models import ClauseKind

BY_LABEL = {standard.label: standard for standard in read_catalog()}

# label -> top-level clause -> (numbered clauses under it, itself included; assessable ones).
CLAUSES_PER_TOP_LEVEL: dict[str, dict[str, tuple[int, int]]] = {
    "ISO 9001:2015": {
        "4": (7, 5),  # 4; 4.1-4.3; 4.4 (4.4.1-4.4.2)
        "5": (8, 5),  # 5; 5.1 (5.1.1-5.1.2), 5.2 (5.2.1-5.2.2), 5.3
        "6": (8, 5),  # 6; 6.1 (6.1.1-6.1.2); 6.2 (6.2.1-6.2.2); 6.3
        # 7; 7.1 (7.1.1-7.1.6, 7.1.5 with 7.1.5.1-7.1.5.2); 7.2-7.4;
        # 7.5 (7.5.1-7.5.3, 7.5.3 with 7.5.3.1-7.5.3.2)
        "7": (19, 14),
        # 8; 8.1; 8.2 (8.2.1-8.2.4, 8.2.3 with 8.2.3.1-8.2.3.2); 8.3 (8.3.1-8.3.6);
        # 8.4 (8.4.1-8.4.3); 8.5 (8.5.1-8.5.6); 8.6; 8.7 (8.7.1-8.7.2)
        "8": (31, 24),
        "9": (12, 8),  # 9; 9.1 (9.1.1-9.1.3); 9.2 (9.2.1-9.2.2); 9.3 (9.3.1-9.3.3)
        "10": (6, 4),  # 10; 10.1; 10.2 (10.2.1-10.2.2); 10.3
    },
    "ISO 14001:2015": {
        "4": (5, 4),  # 4; 4.1-4.4
        "5": (4, 3),  # 5; 5.1-5.3
        "6": (9, 6),  # 6; 6.1 (6.1.1-6.1.4); 6.2 (6.2.1-6.2.2); no 6.3 in this edition
        "7": (12, 9),  # 7; 7.1-7.3; 7.4 (7.4.1-7.4.3); 7.5 (7.5.1-7.5.3)
        "8": (3, 2),  # 8; 8.1-8.2
        "9": (8, 5),  # 9; 9.1 (9.1.1-9.1.2); 9.2 (9.2.1-9.2.2); 9.3
        "10": (4, 3),  # 10; 10.1-10.3
    },
    "ISO 45001:2018": {
        "4": (5, 4),  # 4; 4.1-4.4
        "5": (5, 4),  # 5; 5.1-5.4
        # 6; 6.1 (6.1.1, 6.1.2 with 6.1.2.1-6.1.2.3, 6.1.3, 6.1.4); 6.2 (6.2.1-6.2.2)
        "6": (12, 8),
        "7": (12, 9),  # 7; 7.1-7.3; 7.4 (7.4.1-7.4.3); 7.5 (7.5.1-7.5.3)
        "8": (10, 7),  # 8; 8.1 (8.1.1-8.1.3, 8.1.4 with 8.1.4.1-8.1.4.3); 8.2
        "9": (8, 5),  # 9; 9.1 (9.1.1-9.1.2); 9.2 (9.2.1-9.2.2); 9.3
        "10": (4, 3),  # 10; 10.1-10.3
    },
    "ISO/IEC 27001:2022": {
        "4": (5, 4),  # 4; 4.1-4.4
        "5": (4, 3),  # 5; 5.1-5.3
        "6": (7, 5),  # 6; 6.1 (6.1.1-6.1.3); 6.2; 6.3
        "7": (9, 7),  # 7; 7.1-7.4; 7.5 (7.5.1-7.5.3)
        "8": (4, 3),  # 8; 8.1-8.3
        "9": (9, 6),  # 9; 9.1; 9.2 (9.2.1-9.2.2); 9.3 (9.3.1-9.3.3)
        "10": (3, 2),  # 10; 10.1-10.2
    },
}

# label -> (numbered clauses 4-10, assessable clauses, annex controls, assessable requirements):
# the sums of the table above, plus Annex A of ISO/IEC 27001:2022 (37 + 8 + 14 + 34 = 93
# controls, each assessable), so 30 + 93 = 123 requirements.
TOTALS = {
    "ISO 9001:2015": (91, 65, 0, 65),
    "ISO 14001:2015": (45, 32, 0, 32),
    "ISO 45001:2018": (56, 40, 0, 40),
    "ISO/IEC 27001:2022": (41, 30, 93, 123),
}

# Only ISO 9001:2015 numbers paragraphs without titles: 16 paragraphs in 8 clauses. Each is a
# node with a descriptive title of our own (`descriptive_title: true`), and its clause groups
# them. Before they were nodes the clauses were 16 fewer and the requirements 8 fewer (75, 57).
UNTITLED_PARAGRAPHS = {
    "4.4": ("4.4.1", "4.4.2"),
    "6.1": ("6.1.1", "6.1.2"),
    "6.2": ("6.2.1", "6.2.2"),
    "7.5.3": ("7.5.3.1", "7.5.3.2"),
    "8.2.3": ("8.2.3.1", "8.2.3.2"),
    "8.7": ("8.7.1", "8.7.2"),
    "9.2": ("9.2.1", "9.2.2"),
    "10.2": ("10.2.1", "10.2.2"),
}

# The assessable clauses that demand documented information (maintained or retained).
DOCUMENTED_INFORMATION = {
    "ISO 9001:2015": [
        *("4.3", "4.4.2", "5.2.2", "6.2.1", "7.1.5.1", "7.1.5.2", "7.2", "7.5.1", "7.5.2"),
        *("7.5.3.1", "7.5.3.2", "8.1", "8.2.3.2", "8.2.4", "8.3.2", "8.3.3", "8.3.4", "8.3.5"),
        *("8.3.6", "8.4.1", "8.5.1", "8.5.2", "8.5.3", "8.5.6", "8.6", "8.7.2", "9.1.1"),
        *("9.2.2", "9.3.3", "10.2.2"),
    ],
    "ISO 14001:2015": [
        *("4.3", "5.2", "6.1.1", "6.1.2", "6.1.3", "6.2.1", "7.2", "7.4.1", "7.5.1", "7.5.2"),
        *("7.5.3", "8.1", "8.2", "9.1.1", "9.1.2", "9.2.2", "9.3", "10.2"),
    ],
    "ISO 45001:2018": [
        *("4.3", "5.2", "5.3", "6.1.1", "6.1.2.2", "6.1.3", "6.2.2", "7.2", "7.4.1", "7.5.1"),
        *("7.5.2", "7.5.3", "8.1.1", "8.2", "9.1.1", "9.1.2", "9.2.2", "9.3", "10.2", "10.3"),
    ],
    "ISO/IEC 27001:2022": [
        *("4.3", "5.2", "6.1.2", "6.1.3", "6.2", "7.2", "7.5.1", "7.5.2", "7.5.3", "8.1"),
        *("8.2", "8.3", "9.1", "9.2.2", "9.3.3", "10.2"),
    ],
}

labels = pytest.mark.parametrize("label", sorted(TOTALS))


def _top_level(number: str) -> str:
    return number.split(".", 1)[0]


def _clauses(standard: StandardData) -> list[str]:
    return [node.number for node in standard.nodes if node.kind is ClauseKind.CLAUSE]


def test_every_shipped_standard_is_counted() -> None:
    assert set(BY_LABEL) == set(TOTALS) == set(CLAUSES_PER_TOP_LEVEL)


def test_the_totals_are_the_sums_of_the_table() -> None:
    for label, per_top in CLAUSES_PER_TOP_LEVEL.items():
        clauses, assessable, controls, requirements = TOTALS[label]
        assert sum(count for count, _ in per_top.values()) == clauses, label
        assert sum(count for _, count in per_top.values()) == assessable, label
        assert assessable + controls == requirements, label


@labels
def test_numbered_clauses_per_top_level_clause(label: str) -> None:
    standard = BY_LABEL[label]
    found: dict[str, tuple[int, int]] = {}
    for node in standard.nodes:
        if node.kind is ClauseKind.CLAUSE:
            count, assessable = found.get(_top_level(node.number), (0, 0))
            found[_top_level(node.number)] = (count + 1, assessable + node.assessable)
    assert found == CLAUSES_PER_TOP_LEVEL[label]


@labels
def test_clause_control_and_requirement_totals(label: str) -> None:
    standard = BY_LABEL[label]
    assessable_clauses = sum(
        node.assessable for node in standard.nodes if node.kind is ClauseKind.CLAUSE
    )
    assert (
        standard.clause_count,
        assessable_clauses,
        standard.control_count,
        standard.assessable_count,
    ) == TOTALS[label]


def test_untitled_paragraphs_of_iso_9001_are_requirements_under_their_clause() -> None:
    quality = BY_LABEL["ISO 9001:2015"]
    nodes = {node.number: node for node in quality.nodes}
    paragraphs = [number for numbers in UNTITLED_PARAGRAPHS.values() for number in numbers]
    assert len(paragraphs) == 16
    for clause, numbers in UNTITLED_PARAGRAPHS.items():
        assert not nodes[clause].assessable, clause
        assert [node.number for node in quality.nodes if node.parent_number == clause] == list(
            numbers
        )
        assert all(nodes[number].assessable for number in numbers), clause
    descriptive = [node.number for node in quality.nodes if node.descriptive_title]
    assert descriptive == paragraphs


@labels
def test_only_untitled_paragraphs_have_descriptive_titles(label: str) -> None:
    descriptive = [node.number for node in BY_LABEL[label].nodes if node.descriptive_title]
    if label == "ISO 9001:2015":
        assert len(descriptive) == 16
    else:
        assert descriptive == []


@labels
def test_documented_information_flags(label: str) -> None:
    flagged = [
        node.number
        for node in BY_LABEL[label].nodes
        if node.kind is ClauseKind.CLAUSE and node.assessable and node.documented_information
    ]
    assert flagged == DOCUMENTED_INFORMATION[label]

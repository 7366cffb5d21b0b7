"""The catalog data files are whole and consistent, and the loader refuses broken ones clearly.

These tests read files only; no database is needed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backend.catalog.loader import (
    DATA_DIR,
    TOP_LEVEL_CLAUSES,
    CatalogError,
    StandardData,
    read_catalog,
)
from backend.catalog.models import ClauseKind
from tests.catalog.helpers import clause, small_standard, top, write

CATALOG = read_catalog()
BY_LABEL = {standard.label: standard for standard in CATALOG}
# Harmonized clauses every management-system standard has (data/README.md lists the keys).
SHARED_HS_KEYS = (
    *("4", "4.1", "4.2", "4.3", "4.4", "5", "5.1", "5.2", "5.3", "6", "6.1", "6.2"),
    *("7", "7.1", "7.2", "7.3", "7.4", "7.5", "7.5.1", "7.5.2", "7.5.3", "8", "8.1"),
    *("9", "9.1", "9.2", "9.3", "10", "10.2", "10.3"),
)
ANNEX_A_THEMES = {"organizational": 37, "people": 8, "physical": 14, "technological": 34}
SENTENCE_END = re.compile(r"(?<!e\.g)(?<!i\.e)[.!?](?=\s|$)")

QUALITY_REQUIREMENTS = [
    "4.1", "4.2", "4.3", "4.4.1", "4.4.2",
    "5.1.1", "5.1.2", "5.2.1", "5.2.2", "5.3",
    "6.1.1", "6.1.2", "6.2.1", "6.2.2", "6.3",
    "7.1.1", "7.1.2", "7.1.3", "7.1.4", "7.1.5.1", "7.1.5.2", "7.1.6",
    "7.2", "7.3", "7.4", "7.5.1", "7.5.2", "7.5.3.1", "7.5.3.2",
    "8.1", "8.2.1", "8.2.2", "8.2.3.1", "8.2.3.2", "8.2.4",
    "8.3.1", "8.3.2", "8.3.3", "8.3.4", "8.3.5", "8.3.6", "8.4.1", "8.4.2", "8.4.3",
    "8.5.1", "8.5.2", "8.5.3", "8.5.4", "8.5.5", "8.5.6", "8.6", "8.7.1", "8.7.2",
    "9.1.1", "9.1.2", "9.1.3", "9.2.1", "9.2.2", "9.3.1", "9.3.2", "9.3.3",
    "10.1", "10.2.1", "10.2.2", "10.3",
]  # fmt: skip
ENVIRONMENTAL_REQUIREMENTS = [
    "4.1", "4.2", "4.3", "4.4",
    "5.1", "5.2", "5.3",
    "6.1.1", "6.1.2", "6.1.3", "6.1.4", "6.2.1", "6.2.2",
    "7.1", "7.2", "7.3", "7.4.1", "7.4.2", "7.4.3", "7.5.1", "7.5.2", "7.5.3",
    "8.1", "8.2",
    "9.1.1", "9.1.2", "9.2.1", "9.2.2", "9.3",
    "10.1", "10.2", "10.3",
]  # fmt: skip


def _ids(standards: list[StandardData]) -> list[str]:
    return [standard.label for standard in standards]


every_standard = pytest.mark.parametrize("standard", CATALOG, ids=_ids(CATALOG))


# --- the shipped files -------------------------------------------------------------------------


def test_the_four_standards_are_in_the_catalog() -> None:
    assert {"ISO 9001:2015", "ISO 14001:2015"} <= set(BY_LABEL)
    assert len(CATALOG) == len(list(DATA_DIR.glob("*.yaml")))


@every_standard
def test_numbers_are_unique(standard: StandardData) -> None:
    counts = Counter(node.number for node in standard.nodes)
    assert [number for number, count in counts.items() if count > 1] == []


@every_standard
def test_every_parent_exists_and_prefixes_its_children(standard: StandardData) -> None:
    numbers = {node.number for node in standard.nodes}
    for node in standard.nodes:
        if node.parent_number is not None:
            assert node.parent_number in numbers, node.number
            assert node.number.startswith(f"{node.parent_number}."), node.number


@every_standard
def test_clauses_4_to_10_are_the_top_level(standard: StandardData) -> None:
    top_level = [
        node.number
        for node in standard.nodes
        if node.parent_number is None and node.kind is ClauseKind.CLAUSE
    ]
    assert top_level == list(TOP_LEVEL_CLAUSES)


@every_standard
def test_every_component_tag_is_one_of_the_standards_components(standard: StandardData) -> None:
    known = {key for key, _title in standard.components}
    assert {tag for node in standard.nodes for tag in node.components} <= known


@every_standard
def test_every_component_is_used(standard: StandardData) -> None:
    used = {tag for node in standard.nodes for tag in node.components}
    assert {key for key, _title in standard.components} <= used


@every_standard
def test_assessable_nodes_are_exactly_the_leaves(standard: StandardData) -> None:
    parents = {node.parent_number for node in standard.nodes}
    for node in standard.nodes:
        assert node.assessable is (node.number not in parents), node.number


@every_standard
def test_positions_follow_the_document(standard: StandardData) -> None:
    assert [node.position for node in standard.nodes] == list(range(1, len(standard.nodes) + 1))


@every_standard
def test_guidance_is_one_to_three_sentences(standard: StandardData) -> None:
    too_long = [
        node.number
        for node in standard.nodes
        if not 1 <= len(SENTENCE_END.findall(node.guidance)) <= 3
    ]
    assert too_long == []


@pytest.mark.parametrize("hs_key", SHARED_HS_KEYS)
def test_harmonized_clauses_share_their_key_across_standards(hs_key: str) -> None:
    if len(CATALOG) < 2:
        pytest.skip("needs at least two standards")
    holders = {
        standard.label: [node.number for node in standard.nodes if node.hs_key == hs_key]
        for standard in CATALOG
    }
    assert all(len(numbers) == 1 for numbers in holders.values()), holders


# Harmonized sub-keys and the key of the clause they divide (data/README.md).
HS_SUB_KEYS = {
    "6.2.1": "6.2",
    "6.2.2": "6.2",
    "7.5.1": "7.5",
    "7.5.2": "7.5",
    "7.5.3": "7.5",
    "9.2.1": "9.2",
    "9.2.2": "9.2",
    "9.3.1": "9.3",
    "9.3.2": "9.3",
    "9.3.3": "9.3",
}


@every_standard
def test_a_divided_harmonized_clause_gives_its_parts_the_sub_keys(standard: StandardData) -> None:
    """Where a standard divides a harmonized clause that has sub-keys, its parts carry them,
    so sibling programs match part to part; where it does not, nothing has them."""
    by_key = {node.hs_key: node for node in standard.nodes if node.hs_key}
    for sub_key, key in HS_SUB_KEYS.items():
        divided = any(node.parent_number == by_key[key].number for node in standard.nodes)
        if divided:
            assert by_key[sub_key].parent_number == by_key[key].number, sub_key
        else:
            assert sub_key not in by_key, sub_key
    keyed_parts = {key for key in by_key if key.count(".") == 2}
    assert keyed_parts <= set(HS_SUB_KEYS)


def test_continual_improvement_shares_its_key_whatever_its_number() -> None:
    improvement = {
        standard.label: next(node.title for node in standard.nodes if node.hs_key == "10.3")
        for standard in CATALOG
    }
    assert set(improvement.values()) == {"Continual improvement"}


@pytest.mark.parametrize(
    ("label", "expected"),
    [("ISO 9001:2015", QUALITY_REQUIREMENTS), ("ISO 14001:2015", ENVIRONMENTAL_REQUIREMENTS)],
)
def test_assessable_clauses_follow_the_published_structure(label: str, expected: list[str]) -> None:
    standard = BY_LABEL[label]
    assert [node.number for node in standard.nodes if node.assessable] == expected


def test_quality_and_environmental_counts() -> None:
    quality, environmental = BY_LABEL["ISO 9001:2015"], BY_LABEL["ISO 14001:2015"]
    assert (len(quality.nodes), quality.assessable_count) == (91, 65)
    assert (len(environmental.nodes), environmental.assessable_count) == (45, 32)


def test_documented_information_marks_the_clauses_that_demand_records() -> None:
    def demanding(label: str) -> set[str]:
        return {node.number for node in BY_LABEL[label].nodes if node.documented_information}

    assert {"4.3", "6.2", "7.2", "8.1", "9.2", "9.3.3", "10.2"} <= demanding("ISO 9001:2015")
    assert {"4.1", "4.2", "7.3", "10.3"}.isdisjoint(demanding("ISO 9001:2015"))
    assert {"4.3", "5.2", "6.1.2", "6.1.3", "8.2", "9.1.2", "9.2.2"} <= demanding("ISO 14001:2015")


def test_annex_a_has_93_controls_in_four_themes() -> None:
    standard = BY_LABEL.get("ISO/IEC 27001:2022")
    if standard is None:
        pytest.skip("the ISO/IEC 27001:2022 data file is not in the catalog yet")
    themes = Counter(node.theme for node in standard.nodes if node.kind is ClauseKind.CONTROL)
    assert themes == ANNEX_A_THEMES
    assert standard.control_count == 93
    assert all(node.assessable for node in standard.nodes if node.kind is ClauseKind.CONTROL)


# --- broken files are refused, naming the file and the clause ------------------------------------

Change = Callable[[dict[str, Any]], None]


def _duplicate(doc: dict[str, Any]) -> None:
    top(doc, "8")["children"][1]["number"] = "8.1"


def _unknown_component(doc: dict[str, Any]) -> None:
    top(doc, "4")["components"] = ["gamma"]


def _foreign_child(doc: dict[str, Any]) -> None:
    top(doc, "8")["children"][0]["number"] = "9.1"


def _skipped_level(doc: dict[str, Any]) -> None:
    top(doc, "8")["children"][0]["number"] = "8.1.1"


def _missing_clause(doc: dict[str, Any]) -> None:
    doc["clauses"] = [node for node in doc["clauses"] if node["number"] != "6"]


def _extra_top_level(doc: dict[str, Any]) -> None:
    doc["clauses"].append(clause("11"))


def _empty_title(doc: dict[str, Any]) -> None:
    top(doc, "5")["title"] = "  "


def _numeric_number(doc: dict[str, Any]) -> None:
    top(doc, "7")["number"] = 7


def _unknown_key(doc: dict[str, Any]) -> None:
    top(doc, "4")["note"] = "typo"


def _shared_hs_key(doc: dict[str, Any]) -> None:
    top(doc, "4")["hs_key"] = top(doc, "5")["hs_key"] = "4"


def _control_outside_its_theme(doc: dict[str, Any]) -> None:
    control = {"number": "A.6.1", "title": "A control", "guidance": "Show it."}
    theme = {"key": "organizational", "number": "A.5", "title": "Themed", "controls": [control]}
    doc["annex"] = {"title": "Controls", "themes": [theme]}


def _not_a_flag(doc: dict[str, Any]) -> None:
    top(doc, "9")["documented_information"] = "yes"


def _descriptive_title_not_a_flag(doc: dict[str, Any]) -> None:
    top(doc, "8")["children"][0]["descriptive_title"] = "ours"


def _descriptive_title_on_a_control(doc: dict[str, Any]) -> None:
    control: dict[str, Any] = {"number": "A.5.1", "title": "A control", "guidance": "Show it."}
    control["descriptive_title"] = True
    theme = {"key": "organizational", "number": "A.5", "title": "Themed", "controls": [control]}
    doc["annex"] = {"title": "Controls", "themes": [theme]}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (_duplicate, "clause 8.1: the number appears more than once"),
        (_unknown_component, "clause 4: unknown component 'gamma'"),
        (_foreign_child, "clause 9.1: a child of 8 must be numbered 8.<n>"),
        (_skipped_level, "clause 8.1.1: a child of 8 must be numbered 8.<n>"),
        (_missing_clause, "clauses: missing clause(s) 6"),
        (_extra_top_level, "clause 11: top-level clauses are 4 to 10"),
        (_empty_title, "clause 5: title must be a non-empty (quoted) string"),
        (_numeric_number, "clauses[3]: number must be a non-empty (quoted) string"),
        (_unknown_key, "clause 4: unknown key 'note'"),
        (_shared_hs_key, "hs_key 4: is on more than one clause"),
        (_control_outside_its_theme, "control A.6.1: a control of theme A.5 must be A.5.<n>"),
        (_not_a_flag, "clause 9: documented_information must be true or false"),
        (_descriptive_title_not_a_flag, "clause 8.1: descriptive_title must be true or false"),
        (_descriptive_title_on_a_control, "control A.5.1: unknown key 'descriptive_title'"),
    ],
)
def test_a_broken_file_is_refused_with_its_file_and_clause(
    tmp_path: Path, change: Change, problem: str
) -> None:
    document = small_standard()
    change(document)
    write(tmp_path, document, "broken.yaml")
    with pytest.raises(CatalogError) as refused:
        read_catalog(tmp_path)
    assert f"broken.yaml: {problem}" in refused.value.problems


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    document = small_standard()
    _empty_title(document)
    _unknown_component(document)
    write(tmp_path, document)
    with pytest.raises(CatalogError) as refused:
        read_catalog(tmp_path)
    assert len(refused.value.problems) == 2
    assert "clause 5: title" in str(refused.value)
    assert "clause 4: unknown component" in str(refused.value)


def test_the_same_edition_in_two_files_is_refused(tmp_path: Path) -> None:
    document = small_standard()
    write(tmp_path, document, "one.yaml")
    write(tmp_path, document, "two.yaml")
    with pytest.raises(CatalogError, match=r"two.yaml: TEST \w+:2024 is also defined"):
        read_catalog(tmp_path)


def test_a_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("code: [unclosed\n")
    with pytest.raises(CatalogError, match=r"bad\.yaml: not valid YAML"):
        read_catalog(tmp_path)


def test_an_empty_data_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"no \*\.yaml data files"):
        read_catalog(tmp_path)


def test_a_valid_small_standard_reads_in_document_order(tmp_path: Path) -> None:
    write(tmp_path, small_standard())
    (standard,) = read_catalog(tmp_path)
    assert [node.number for node in standard.nodes] == [
        *("4", "5", "6", "7", "8", "8.1", "8.2", "9", "10")
    ]
    assert [node.number for node in standard.nodes if not node.assessable] == ["8"]
    assert standard.nodes[6].components == ("beta",)
    assert standard.nodes[6].parent_number == "8"

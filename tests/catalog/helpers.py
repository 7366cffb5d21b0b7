"""A small valid standard to change one thing at a time, and a way to write it as a data file."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import yaml

Node = dict[str, Any]


def clause(number: str, *children: Node, components: tuple[str, ...] = ("alpha",)) -> Node:
    node: Node = {
        "number": number,
        "title": f"Clause {number}",
        "guidance": "Show that it is done.",
        "components": list(components),
        "documented_information": False,
        "hs_key": None,
    }
    if children:
        node["children"] = list(children)
    return node


def small_standard(code: str | None = None) -> dict[str, Any]:
    """Clauses 4 to 10; clause 8 has the sub-clauses 8.1 and 8.2. Codes are unique per call,
    so loading it never touches the real catalog."""
    return {
        "code": code or f"TEST {uuid.uuid4().hex[:8]}",
        "edition": "2024",
        "title": "A standard for tests",
        "purpose": "Exercises the catalog loader.",
        "components": [{"key": "alpha", "title": "Alpha"}, {"key": "beta", "title": "Beta"}],
        "clauses": [
            *(clause(number) for number in ("4", "5", "6", "7")),
            clause("8", clause("8.1"), clause("8.2", components=("beta",))),
            clause("9"),
            clause("10"),
        ],
    }


def top(document: dict[str, Any], number: str) -> Node:
    """A top-level clause of `document`, by number."""
    node: Node = next(node for node in document["clauses"] if node["number"] == number)
    return node


def write(directory: Path, document: dict[str, Any], name: str = "standard.yaml") -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    return path

"""The layering rule, read from the imports of every module (docs/architecture.md, Packages).

Areas (backend/<area>/) share code only through the shared packages; of another area they
may name only its models (foreign keys between tables), or its GraphQL type lazily: an import
under `if TYPE_CHECKING:` of a module the file also names in `strawberry.lazy("...")`.
`tenants/` sits below the API, and `backend/core` below every area.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKEND = ROOT / "backend"
SHARED = {"core", "db", "api", "catalog", "programs", "jobs"}
AREAS = sorted(
    path.name
    for path in BACKEND.iterdir()
    if (path / "__init__.py").exists() and path.name not in {"core", "db", "api", "jobs"}
)


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(tree: ast.AST, *, typing_only: bool = False) -> Iterator[str]:
    """Every module a tree imports (in functions too); with `typing_only`, only those under
    `if TYPE_CHECKING:`, else only the others."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            if typing_only:
                for child in node.body:
                    yield from _named(child)
            continue
        if not typing_only:
            yield from _named(node)
        yield from _imports(node, typing_only=typing_only)


def _named(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        yield node.module
        yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _lazy_targets(tree: ast.AST) -> set[str]:
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "lazy"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }


def _modules(package: Path) -> Iterator[tuple[str, ast.AST]]:
    for path in sorted(package.rglob("*.py")):
        yield str(path.relative_to(ROOT)), ast.parse(path.read_text(), str(path))


def _other_area(module: str, own: str) -> str | None:
    """The other area a module name belongs to, if it belongs to one."""
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "backend" or parts[1] in SHARED or parts[1] == own:
        return None
    return parts[1] if parts[1] in AREAS else None


def _area_violations(area: str) -> Iterator[str]:
    for name, tree in _modules(BACKEND / area):
        lazy = _lazy_targets(tree)
        for module in _imports(tree):
            other = _other_area(module, area)
            if other and not module.startswith(f"backend.{other}.models"):
                yield f"{name} imports {module}"
        for module in _imports(tree, typing_only=True):
            other = _other_area(module, area)
            allowed = module.startswith(f"backend.{other}.models") or any(
                module == target or module.startswith(f"{target}.") for target in lazy
            )
            if other and not allowed:
                yield f"{name} imports {module} for typing without naming it lazily"


def test_areas_share_only_the_shared_packages_and_each_others_models() -> None:
    assert [found for area in AREAS for found in _area_violations(area)] == []


def test_tenants_know_nothing_of_the_api() -> None:
    found = [
        f"{name} imports {module}"
        for name, tree in _modules(ROOT / "tenants")
        for module in (*_imports(tree), *_imports(tree, typing_only=True))
        if module.startswith("backend.api")
    ]
    assert found == []


def test_the_core_depends_on_no_area_and_no_api() -> None:
    found = [
        f"{name} imports {module}"
        for name, tree in _modules(BACKEND / "core")
        for module in (*_imports(tree), *_imports(tree, typing_only=True))
        if module.startswith("backend.")
        and module.split(".")[1] not in {"core", "db"}
        and (module.split(".")[1] in AREAS or module.startswith("backend.api"))
    ]
    assert found == []


def test_the_rule_sees_a_violation() -> None:
    """The walk finds imports inside functions and typing blocks, so the rule can fail."""
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from backend.planning.api import Action\n"
        "def f():\n    from backend.planning.service import local_today\n"
    )
    assert "backend.planning.service" in set(_imports(tree))
    assert "backend.planning.api" in set(_imports(tree, typing_only=True))
    assert "backend.planning.api" not in set(_imports(tree))

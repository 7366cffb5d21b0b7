"""Text inputs with control characters or lone surrogates are refused before any resolver runs.

PostgreSQL refuses NUL in text, and a lone surrogate (which a JSON body may carry as
"\\ud800") cannot even be encoded to UTF-8: either would fail deep in a statement as an
unexpected error. One check here covers every text input, present and future: string
literals in the document (a validation rule, so the validation cache remembers the verdict
for a document) and every string and object key inside the operation's variables.
Tab, line feed and carriage return are ordinary in free text and stay allowed.
"""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLError, ValidationRule, get_operation_ast
from graphql.language import (
    ArgumentNode,
    ListValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    VariableDefinitionNode,
)
from graphql.pyutils import print_path_list

# C0 controls but tab, line feed and carriage return; DEL and the C1 controls; surrogates.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

Path = list[str | int]


def forbidden_character(text: str) -> str | None:
    """A description of the first character of `text` that no text input may hold, if any."""
    found = FORBIDDEN.search(text)
    if found is None:
        return None
    code = ord(found.group())
    if 0xD800 <= code <= 0xDFFF:
        return f"U+{code:04X}, a lone surrogate"
    return f"U+{code:04X}, NUL" if code == 0 else f"U+{code:04X}"


def complaint(character: str) -> str:
    return (
        f"Text must not contain control characters or lone surrogates (found {character});"
        " tab, line feed and carriage return are allowed."
    )


def _first_in_value(value: Any) -> tuple[Path, str] | None:
    """The path to the first string or object key in a JSON value holding a forbidden
    character, and that character. Iterative: variables may nest deeper than the stack."""
    stack: list[tuple[Path, Any]] = [([], value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if (character := forbidden_character(item)) is not None:
                return path, character
        elif isinstance(item, dict):
            children: list[tuple[Path, Any]] = []
            for key, child in item.items():
                children += [([*path, key], key), ([*path, key], child)]
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(reversed([([*path, index], child) for index, child in enumerate(item)]))
    return None


def _first_in_literal(node: ValueNode) -> tuple[Path, StringValueNode, str] | None:
    """Like `_first_in_value`, for a value written in the document."""
    stack: list[tuple[Path, ValueNode]] = [([], node)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, StringValueNode):
            if (character := forbidden_character(item.value)) is not None:
                return path, item, character
        elif isinstance(item, ObjectValueNode):
            stack.extend(reversed([([*path, f.name.value], f.value) for f in item.fields]))
        elif isinstance(item, ListValueNode):
            stack.extend(reversed([([*path, i], v) for i, v in enumerate(item.values)]))
    return None


class ControlCharactersInLiterals(ValidationRule):
    """String literals in arguments and variable defaults, found when the document is validated."""

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        self._check(node.value, f"Argument '{node.name.value}' has invalid value")

    def enter_variable_definition(self, node: VariableDefinitionNode, *_: Any) -> None:
        if node.default_value is not None:
            name = node.variable.name.value
            self._check(node.default_value, f"Variable '${name}' has invalid default value")

    def _check(self, value: ValueNode, subject: str) -> None:
        found = _first_in_literal(value)
        if found is not None:
            path, string, character = found
            message = f"{subject}{print_path_list(path)}: {complaint(character)}"
            self.report_error(GraphQLError(message, string))


def variable_errors(
    document: Any, operation_name: str | None, variables: dict[str, Any] | None
) -> list[GraphQLError]:
    """One error per variable of the operation whose value holds a forbidden character."""
    operation = get_operation_ast(document, operation_name)
    if operation is None or not variables:
        return []
    errors = []
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        found = _first_in_value(variables.get(name))
        if found is not None:
            path, character = found
            message = f"Variable '${name}' has invalid value{print_path_list(path)}"
            errors.append(GraphQLError(f"{message}: {complaint(character)}", definition))
    return errors

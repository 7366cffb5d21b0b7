"""What an operation may cost, judged before it runs.

Depth, token and alias limits cannot see multiplication: a 2 KB query that nests lists five
deep asks for millions of fields. So every operation gets a cost before execution: each field
costs 1, and a list field multiplies the cost of its items by how many it may return — its
page size (`first`/`last`) when it has one, else the maximum declared for it with `at_most`.
A connection's page size sizes its `edges`. Fragments count where they are spread;
introspection fields count 1 and are not walked.

The validation rule runs once per distinct document (the validation cache keeps its verdict).
A page size given by a variable counts at its maximum there; only an operation whose worst
case is over the limit because of such a variable is costed again at execution, with the
variables' values (`CostLimit.extension`), so cached operations pay nothing per request.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from graphql.pyutils import Undefined
from graphql.utilities import get_operation_ast

from backend.api.pagination import DEFAULT_PAGE, MAX_PAGE

MAXIMUM = "certready.max_items"
"""Field metadata key: the most items a list field returns, or the largest page it serves."""
ITEM_BOUND = "list_bound"
"""Class attribute of a type whose every list is bounded (a payload's `errors`)."""
PAGE_ARGUMENTS = ("first", "last")
UNDECLARED_MAXIMUM = MAX_PAGE
"""What a list field counts as when nothing declares its maximum (a test keeps this unused)."""
_DEEPEST = 100  # far beyond any depth limit; deeper documents count as over any limit
_BEYOND = 10**18
_Key = tuple[str, str | None]


def at_most(count: int) -> dict[str, int]:
    """Field metadata declaring the most items a list field returns (or the largest page)."""
    return {MAXIMUM: count}


def declared_maximum(field: GraphQLField) -> int | None:
    """The maximum declared on the field itself or by the type of its items, if any."""
    definition = field.extensions.get("strawberry-definition")
    metadata = getattr(definition, "metadata", None) or {}
    if MAXIMUM in metadata:
        return int(metadata[MAXIMUM])
    item = get_named_type(field.type).extensions.get("strawberry-definition")
    bound = getattr(getattr(item, "origin", None), ITEM_BOUND, None)
    return bound if isinstance(bound, int) else None


def is_paginated(field: GraphQLField) -> bool:
    return any(name in field.args for name in PAGE_ARGUMENTS)


def is_connection(type_: GraphQLNamedType) -> bool:
    """Connections size their `edges` by the page their field was asked for."""
    fields = getattr(type_, "fields", {})
    return "edges" in fields and "pageInfo" in fields


def refusal(cost: int, limit: int) -> GraphQLError:
    return GraphQLError(f"Query cost {cost} exceeds the limit of {limit} (GRAPHQL_MAX_COST).")


class Costing:
    """The cost of one operation. With `variables` None, a page size given by a variable
    counts at its maximum and `variable_sized` records that one did."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any] | None,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.defaults = {
            item.variable.name.value: item.default_value
            for item in operation.variable_definitions or ()
        }
        self.operation = operation
        self.variable_sized = False

    def total(self) -> int:
        root = self.schema.get_root_type(self.operation.operation)
        if root is None:
            return 0
        return self._selections(self.operation.selection_set, root, None, 0, frozenset())

    def _selections(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType,
        page: int | None,
        depth: int,
        spread: frozenset[str],
    ) -> int:
        if selection_set is None:
            return 0
        if depth > _DEEPEST:
            return _BEYOND
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, page, depth, spread)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self._selections(
                    selection.selection_set, target or parent, page, depth, spread
                )
            elif isinstance(selection, FragmentSpreadNode):
                total += self._spread(selection, parent, page, depth, spread)
        return total

    def _spread(
        self,
        node: FragmentSpreadNode,
        parent: GraphQLNamedType,
        page: int | None,
        depth: int,
        spread: frozenset[str],
    ) -> int:
        name = node.name.value
        fragment = self.fragments.get(name)
        if fragment is None or name in spread:  # unknown or cyclic: other rules refuse those
            return 0
        target = self.schema.get_type(fragment.type_condition.name.value) or parent
        return self._selections(fragment.selection_set, target, page, depth, spread | {name})

    def _field(
        self,
        node: FieldNode,
        parent: GraphQLNamedType,
        page: int | None,
        depth: int,
        spread: frozenset[str],
    ) -> int:
        field = getattr(parent, "fields", {}).get(node.name.value)
        if field is None:  # introspection, or unknown (which validation refuses)
            return 1
        item = get_named_type(field.type)
        size = self._page(node, field) if is_paginated(field) else None
        if is_list_type(get_nullable_type(field.type)):
            count = size if size is not None else self._maximum(field, page)
            return 1 + count * self._selections(node.selection_set, item, None, depth + 1, spread)
        inner = size if is_connection(item) else None
        return 1 + self._selections(node.selection_set, item, inner, depth + 1, spread)

    @staticmethod
    def _maximum(field: GraphQLField, page: int | None) -> int:
        declared = declared_maximum(field)
        if declared is not None:
            return declared
        return page if page is not None else UNDECLARED_MAXIMUM

    def _page(self, node: FieldNode, field: GraphQLField) -> int:
        largest = declared_maximum(field) or MAX_PAGE
        names = [name for name in PAGE_ARGUMENTS if name in field.args]
        return max(self._argument(node, field, name, largest) for name in names)

    def _argument(self, node: FieldNode, field: GraphQLField, name: str, largest: int) -> int:
        given = next((arg.value for arg in node.arguments or () if arg.name.value == name), None)
        if given is None:
            default = field.args[name].default_value
            value: Any = None if default is Undefined else default
        else:
            value = self._value(given, largest)
        if value is None:
            return min(DEFAULT_PAGE, largest)
        if isinstance(value, bool) or not isinstance(value, int):
            return largest  # not an Int: execution refuses it
        return min(max(value, 0), largest)

    def _value(self, node: ValueNode | None, largest: int) -> Any:
        if node is None or isinstance(node, NullValueNode):
            return None
        if isinstance(node, IntValueNode):
            return int(node.value)
        if not isinstance(node, VariableNode):
            return largest
        name = node.name.value
        if self.variables is None:
            self.variable_sized = True
            return largest
        if name in self.variables:
            return self.variables[name]
        return self._value(self.defaults.get(name), largest)


class CostLimit:
    """The cost limit of one schema: its validation rule and its execution-time check.

    Both remember, per query text and operation, whether the operation is within the limit
    whatever its variables; the check costs again only the operations not known to be.
    """

    def __init__(self, limit: int, remembered: int) -> None:
        self.limit = limit
        self._remembered = remembered
        self._within: OrderedDict[_Key, bool] = OrderedDict()

    def judge(
        self, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
    ) -> GraphQLError | None:
        """The refusal of an operation over the limit whatever its variables, if it is; else
        remember whether it is within the limit whatever they are."""
        costing = Costing(schema, fragments_of(document), operation, None)
        cost = costing.total()
        if cost > self.limit and not costing.variable_sized:
            return refusal(cost, self.limit)
        if document.loc is not None:
            name = operation.name.value if operation.name else None
            self._remember((document.loc.source.body, name), cost <= self.limit)
        return None

    def _remember(self, key: _Key, within: bool) -> None:
        self._within[key] = within
        self._within.move_to_end(key)
        if len(self._within) > self._remembered:
            self._within.popitem(last=False)

    def check(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation_name: str | None,
        variables: Mapping[str, Any],
    ) -> GraphQLError | None:
        """The refusal of the operation about to run, with these variables, if it is over."""
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return None
        body = document.loc.source.body if document.loc else None
        key = (body or "", operation.name.value if operation.name else None)
        if key not in self._within and (refused := self.judge(schema, document, operation)):
            return refused
        if self._within.get(key, False):
            return None
        cost = Costing(schema, fragments_of(document), operation, variables).total()
        return refusal(cost, self.limit) if cost > self.limit else None

    def rule(self) -> type[ASTValidationRule]:
        """The validation rule, one class per schema, so the validation cache keeps hitting."""
        limit = self

        class QueryCostRule(ValidationRule):
            def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
                refused = limit.judge(self.context.schema, self.context.document, node)
                if refused is not None:
                    self.report_error(refused)

        return QueryCostRule


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        each.name.value: each
        for each in document.definitions
        if isinstance(each, FragmentDefinitionNode)
    }

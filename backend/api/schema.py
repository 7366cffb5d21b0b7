"""The GraphQL schema: the queries and mutations of every area in the feature registry.

`schema` is the contract (exported to graphql/schema.graphql); `build_schema` adds what a
running server needs on top: limits, error masking, caches and the production switches.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any

import strawberry
from graphql import (
    ASTValidationRule,
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationDefinitionNode,
    parse,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry import relay
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

from backend import features
from backend.api.context import Context, Info
from backend.api.control_characters import ControlCharactersInLiterals, variable_errors
from backend.api.cost import CostLimit
from backend.api.errors import error_code, should_mask
from backend.api.execution import Execution
from backend.core.metrics import ERRORS
from backend.settings import Settings

CACHE_SIZE = 512


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Any object you may read, by global id; null when it is not yours."
    )
    async def node(self, info: Info, id: relay.GlobalID) -> relay.Node | None:
        # A plain resolver rather than relay.node(): that helper binds itself to the first
        # schema built from these types, and tests build one per configuration.
        return await id.resolve_node(info, required=False)


Query = strawberry.type(type("Query", (*features.query_types(), NodeQuery), {}))
Mutation = strawberry.type(type("Mutation", features.mutation_types(), {}))

schema = strawberry.Schema(query=Query, mutation=Mutation)


class _Schema(strawberry.Schema):
    @staticmethod
    def remove_field_suggestion(error: GraphQLError) -> None:
        # Called for every error when suggestions are off. strawberry strips them only from
        # unknown-field errors; argument, input field, enum value and type suggestions
        # reveal the schema just as well.
        error.message = error.message.partition(" Did you mean")[0]

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log faults with their traceback; errors meant for the client are answers, not faults.
        Every error counts in the errors metric by its code."""
        for error in errors:
            ERRORS.labels(code=error_code(error)).inc()
        super().process_errors([e for e in errors if should_mask(e)], execution_context)

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        match extensions:
            case [OperationGuard() as guard]:
                return _GuardSteps(execution_context, guard)
        raise TypeError("the schema runs its OperationGuard alone: add checks to it, not beside")


cached_parse = lru_cache(maxsize=CACHE_SIZE)(parse)
cached_validate = lru_cache(maxsize=CACHE_SIZE)(validate_document)


class OperationGuard(SchemaExtension):
    """Every check and cache on an operation's way to its resolvers, as one extension.

    On the way: the token limit rides into the parser's options; parsing and validating are
    remembered per document (the rules are built once, so the validation cache can hit);
    before execution, the operation's name is kept for the metrics and traces
    (`api.observed`), and its variables are checked for control characters and its cost with
    their values. Errors meant for nobody are masked on the way back: here rather than by
    strawberry's MaskErrors, which tests every result against a runtime-checkable protocol,
    13 microseconds a request. No result streams (the schema has no subscriptions and no
    incremental delivery), so the one result is all there is to mask.

    Its steps are plain methods that `_GuardSteps` calls, not strawberry's generator hooks:
    strawberry makes a context manager per hook and extension for every request (wrapping
    each generator with contextlib and inspecting it), which cost a fifth of a
    `{ __typename }`. Six separate extensions had cost an eighth more before they were one.
    """

    def __init__(
        self, rules: tuple[type[ASTValidationRule], ...], max_tokens: int, cost: CostLimit
    ) -> None:
        self.rules, self.max_tokens, self.cost = rules, max_tokens, cost

    def begin(self) -> None:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.max_tokens
        context.validation_rules = (*context.validation_rules, *self.rules)

    def end(self) -> None:
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [_masked(e) if should_mask(e) else e for e in result.errors]

    def parse(self) -> None:
        context = self.execution_context
        context.graphql_document = cached_parse(context.query, **context.parse_options)

    def validate(self) -> None:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            context.pre_execution_errors = cached_validate(
                context.schema._schema, document, context.validation_rules
            )

    def admit(self) -> None:
        context = self.execution_context
        if isinstance(context.context, Context):
            context.context.operation_name = context.operation_name
        document, variables = context.graphql_document, context.variables
        if document is not None:
            errors = _unchosen_operation(context, document) or variable_errors(
                document, context.operation_name, variables
            )
            if not errors:
                refused = self.cost.check(
                    context.schema._schema, document, context.operation_name, variables or {}
                )
                errors = [] if refused is None else [refused]
            if errors:
                # A result set before execution makes strawberry skip executing the operation.
                context.result = ExecutionResult(None, errors)


class _Step:
    """One stage of an operation, as strawberry's runner wraps it: `before` runs on the way
    in, `after` on the way out unless the stage raised (as after a generator hook's yield)."""

    __slots__ = ("after", "before")

    def __init__(self, before: Callable[[], None], after: Callable[[], None] | None = None) -> None:
        self.before, self.after = before, after

    def __enter__(self) -> None:
        self.before()

    def __exit__(self, error_type: type[BaseException] | None, *_: object) -> None:
        if error_type is None and self.after is not None:
            self.after()

    async def __aenter__(self) -> None:
        self.before()

    async def __aexit__(self, error_type: type[BaseException] | None, *_: object) -> None:
        self.__exit__(error_type)


class _GuardSteps(SchemaExtensionsRunner):
    """Runs the operation guard's steps straight, for a schema whose only extension it is."""

    def __init__(self, execution_context: ExecutionContext, guard: OperationGuard) -> None:
        super().__init__(execution_context, [guard])
        self.guard = guard

    def operation(self) -> _Step:  # type: ignore[override]
        return _Step(self.guard.begin, self.guard.end)

    def parsing(self) -> _Step:  # type: ignore[override]
        return _Step(self.guard.parse)

    def validation(self) -> _Step:  # type: ignore[override]
        return _Step(self.guard.validate)

    def executing(self) -> _Step:  # type: ignore[override]
        return _Step(self.guard.admit)

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        return dict(ctx.extensions_results)  # the guard adds none of its own


def _masked(error: GraphQLError) -> GraphQLError:
    """The error with its place kept and its cause and message hidden."""
    return GraphQLError(
        "Unexpected error.",
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
    )


def _unchosen_operation(context: ExecutionContext, document: DocumentNode) -> list[GraphQLError]:
    """A document of several operations must name the one to run, as the GraphQL spec
    says; strawberry would run the first. `_provided_operation_name` is what the request
    sent: the public `operation_name` falls back to the first operation's name."""
    if context._provided_operation_name is not None:
        return []
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) < 2:
        return []
    return [GraphQLError("Must provide operation name if query contains multiple operations.")]


def build_schema(settings: Settings) -> strawberry.Schema:
    # A factory, not an instance: strawberry builds fresh extensions for every request. The
    # limit rules are built once here, though: strawberry's QueryDepthLimiter and
    # MaxAliasesLimiter would make new rule classes per request, and new rules miss the
    # validation cache every time.
    cost = CostLimit(settings.graphql_max_cost, remembered=2 * CACHE_SIZE)
    rules: list[type[ASTValidationRule]] = [
        depth_rule(settings.graphql_max_depth, None, None),
        alias_rule(settings.graphql_max_aliases),
        cost.rule(),
        ControlCharactersInLiterals,
    ]
    if not settings.introspection_enabled:
        rules.append(NoSchemaIntrospectionCustomRule)
    guard = partial(OperationGuard, tuple(rules), settings.graphql_max_tokens, cost)
    return _Schema(
        query=Query,
        mutation=Mutation,
        extensions=[guard],
        execution_context_class=Execution,
        config=StrawberryConfig(disable_field_suggestions=settings.is_production),
    )

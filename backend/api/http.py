"""GraphQL over HTTP: strawberry's Litestar controller, tightened where the spec asks.

Clients that accept `application/graphql-response+json` get that media type, and a request
that failed before execution (parse or validation errors: no `data`) gets HTTP 400, as the
GraphQL-over-HTTP specification asks. Plain `application/json` clients keep the classic
always-200 answers.

The controller's handlers take the request alone and build the context themselves:
strawberry's own handlers take five dependencies, which Litestar resolves in a task group,
and make the sub-response in a worker thread, on every request.

A POST of one well-formed JSON operation, nearly every request, goes straight to execution:
strawberry's view would check the method, the IDE, the transports and the content type, and
adapt the request, again for each one. Whatever is not plain (another content type, a batch,
a stream, a body that does not parse or has members of the wrong type) takes strawberry's
whole way, so its answers to those stay strawberry's.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from cross_web import AsyncHTTPRequestAdapter
from cross_web import HTTPException as GraphQLHTTPException  # what strawberry's views raise
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.background_tasks import BackgroundTasks
from litestar.exceptions import NotFoundException, ValidationException
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST
from strawberry.http import GraphQLRequestData
from strawberry.litestar import make_graphql_controller
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from backend.api.budget import within_size_cap, within_time_budget
from backend.api.context import Context, request_context
from backend.api.observed import observed_operation
from backend.api.schema import build_schema
from backend.settings import Settings

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
SUB_RESPONSE = "graphql_sub_response"  # request.state key
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


def graphql_controller(settings: Settings) -> type[Controller]:
    base = make_graphql_controller(
        build_schema(settings),
        path="/graphql",
        graphql_ide=None if settings.is_production else "graphiql",
        allow_queries_via_get=not settings.is_production,
    )

    class GraphQLController(base):  # type: ignore[valid-type,misc]
        @get(raises=[ValidationException, NotFoundException])
        async def handle_http_get(self, request: Request[Any, Any, Any]) -> Response[Any]:
            return await self._answer(request)

        @post(status_code=HTTP_200_OK)
        async def handle_http_post(self, request: Request[Any, Any, Any]) -> Response[Any]:
            operation = await self._plain_operation(request)
            if operation is None:
                return await self._answer(request)
            return await self._answer_plain(request, operation)

        async def _answer(self, request: Request[Any, Any, Any]) -> Response[Any]:
            async with _graphql_context(request) as context:
                answer: Response[Any] = await self.execute_request(request, context, None)
                return answer

        async def _plain_operation(
            self, request: Request[Any, Any, Any]
        ) -> GraphQLRequestData | None:
            """The operation of a plain POST, None for anything strawberry should judge."""
            if request.content_type[0] != "application/json" or _asks_for_a_stream(request):
                return None
            try:
                data = self.parse_json(await request.body())
            except (ValueError, GraphQLHTTPException):  # JSONDecodeError is a ValueError
                return None
            return _operation(data)

        async def _answer_plain(
            self, request: Request[Any, Any, Any], operation: GraphQLRequestData
        ) -> Response[Any]:
            async with _graphql_context(request) as context:
                try:
                    result = await self.execute_single(
                        request=request,
                        request_adapter=self.request_adapter_class(request),
                        sub_response=context.response,
                        context=context,
                        root_value=None,
                        request_data=operation,
                    )
                except GraphQLHTTPException as refusal:
                    return Response(
                        refusal.reason, status_code=refusal.status_code, media_type=MediaType.TEXT
                    )
                body = await self.process_result(request, result)
                answer = self.create_response(body, context.response)
            return (
                _as_graphql_response(answer, body) if _accepts_graphql_response(request) else answer
            )

        async def get_sub_response(self, request: Request[Any, Any, Any]) -> Response[Any]:
            # Kept per request: strawberry keeps it on the controller, which requests share.
            sub_response: Response[Any] = request.state[SUB_RESPONSE]
            return sub_response

        def parse_json(self, data: str | bytes) -> Any:
            # strawberry answers 500 to a JSON body that is neither an object nor a list, and
            # to one nested deeper than the decoder's recursion allows.
            try:
                parsed = super().parse_json(data)
            except RecursionError:
                raise GraphQLHTTPException(400, "The request body is nested too deeply.") from None
            if not isinstance(parsed, dict | list):
                raise GraphQLHTTPException(400, "A GraphQL request must be a JSON object.")
            return parsed

        async def parse_http_body(
            self, request: AsyncHTTPRequestAdapter
        ) -> GraphQLRequestData | list[GraphQLRequestData]:
            # strawberry repeats an unknown operation name in a plain-text answer, which
            # cannot be encoded when the name holds a lone surrogate. No operation has a
            # name that is not a GraphQL name, so refuse those first.
            body: GraphQLRequestData | list[GraphQLRequestData]
            body = await super().parse_http_body(request)
            if isinstance(body, GraphQLRequestData) and not _is_name(body.operation_name):
                raise GraphQLHTTPException(400, "`operationName` must be a GraphQL name.")
            return body

        async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
            operation = kwargs["request_data"].operation_name
            execution = super().execute_single(*args, **kwargs)
            with observed_operation(kwargs["context"]) as observe:
                result = await within_time_budget(
                    execution, settings.graphql_time_budget_seconds, operation
                )
                observe(result)
            return result

        def encode_json(self, data: object) -> str | bytes:
            return within_size_cap(super().encode_json(data), settings.graphql_max_response_bytes)

        async def run(
            self, request: Request[Any, Any, Any], context: Any = UNSET, root_value: Any = UNSET
        ) -> Any:
            response = await super().run(request, context, root_value)
            if not isinstance(response, Response) or not _accepts_graphql_response(request):
                return response
            if not isinstance(response.content, bytes):  # the IDE's page
                return response
            return _as_graphql_response(response, json.loads(response.content))

    return GraphQLController


@asynccontextmanager
async def _graphql_context(request: Request[Any, Any, Any]) -> AsyncIterator[Context]:
    """The request's context, with the request and a sub-response of its own."""
    async with request_context(request, request.app.state.runtime) as context:
        context.request = request
        context.response = request.state[SUB_RESPONSE] = _sub_response()
        yield context


def _sub_response() -> Response[Any]:
    """Where resolvers put headers and cookies (a refresh-token cookie) for the answer."""
    return Response({}, background=BackgroundTasks([]))


def _operation(data: object) -> GraphQLRequestData | None:
    """One operation whose members all have their JSON types, else None."""
    if not isinstance(data, dict):
        return None
    query, variables = data.get("query"), data.get("variables")
    name, extensions = data.get("operationName"), data.get("extensions")
    if not isinstance(query, str) or not query or not _is_name(name):
        return None
    if not isinstance(variables, dict | None) or not isinstance(extensions, dict | None):
        return None
    return GraphQLRequestData(
        query=query, variables=variables, operation_name=name, extensions=extensions
    )


def _asks_for_a_stream(request: Request[Any, Any, Any]) -> bool:
    accept = request.headers.get("accept", "")
    return "text/event-stream" in accept or "multipart/mixed" in accept


def _is_name(operation_name: object) -> bool:
    if operation_name is None:
        return True
    return isinstance(operation_name, str) and _NAME.fullmatch(operation_name) is not None


def _accepts_graphql_response(request: Request[Any, Any, Any]) -> bool:
    return GRAPHQL_RESPONSE_JSON in request.headers.get("accept", "")


def _as_graphql_response(response: Response[Any], body: object) -> Response[Any]:
    """The answer, whose content encodes `body`, in the GraphQL-over-HTTP media type: a
    request that failed before execution gets HTTP 400 and no `data`. `body` is what was
    encoded, so the answer is decoded again only where strawberry encoded it."""
    if isinstance(body, dict) and _is_request_error(body):
        body.pop("data", None)
        response.content = json.dumps(body).encode()
        response.status_code = HTTP_400_BAD_REQUEST
    response.media_type = GRAPHQL_RESPONSE_JSON
    return response


def _is_request_error(body: dict[str, Any]) -> bool:
    """Errors before execution carry no path; a null `data` from a field error has one."""
    errors = body.get("errors") or []
    return body.get("data") is None and bool(errors) and all("path" not in e for e in errors)

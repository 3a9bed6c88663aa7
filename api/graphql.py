"""The GraphQL endpoints: customers' (`/graphql`, Strawberry over HTTP and both websocket
subprotocols) and staff's (`/staff/graphql`, HTTP only, its own schema, sessions and origins).

A request that is not a GraphQL request (a body that is not UTF-8 JSON, JSON that is not an
object, nesting too deep to read) answers 400 with a JSON error that names the problem,
never a 500, and the connection stays open for the next request. Onramp's own words for the
problem are in the reader's language, as an operation's answer would be (the staff
endpoint's in English); the reasons Strawberry gives itself (no query, a batch) stay English.
"""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry import Schema
from strawberry.asgi import GraphQL
from strawberry.types.unset import UnsetType

from api.auth import Credentials, SessionCookie, bearer_token, http_credential, origin_allowed
from api.graphiql import graphiql_page
from api.settings import Settings
from resolvers.context import RequestContext
from resolvers.locale import context_locale
from resolvers.schema import schema
from resolvers.staff.context import StaffContext
from resolvers.staff.schema import staff_schema
from services.i18n.text import Text, tr


class RefusedBody(HTTPException):
    """A body Onramp refuses to read, with its reason to write in the reader's language."""

    def __init__(self, reason: Text) -> None:
        super().__init__(400, str(reason))
        self.text = reason


class Endpoint(GraphQL[Any, None]):
    """What both endpoints share: JSON bodies only, GraphiQL from this server, 400s."""

    def __init__(self, settings: Settings, served: Schema, credentials: Credentials) -> None:
        super().__init__(
            served,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            # Queries travel only as POST with a JSON body: a cookie must never ride a GET.
            allow_queries_via_get=False,
            allowed_origins=list(credentials.origins),
        )
        self.settings = settings
        self.credentials = credentials

    @property
    def graphql_ide_html(self) -> str:
        return graphiql_page()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as refused:
            reason = refused.reason
            if isinstance(refused, RefusedBody):
                # Whoever would read the operation's answer: the same context decides.
                context = await self.get_context(request, Response())
                reason = refused.text.render(await context_locale(context))
            response = bad_request(refused.status_code, reason)
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        try:
            decoded = json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
        except RecursionError:
            raise RefusedBody(tr("The JSON body is nested too deeply.")) from None
        except ValueError:  # not JSON, or not UTF-8
            raise RefusedBody(tr("The body is not JSON in UTF-8.")) from None
        if not isinstance(decoded, dict | list):
            raise RefusedBody(tr("The body must be a JSON object with `query` (and `variables`)."))
        return decoded

    def cookie(self, request: Request | WebSocket, response: Response | WebSocket) -> SessionCookie:
        return SessionCookie(
            response if isinstance(response, Response) else None,
            self.credentials,
            allowed=origin_allowed(request, self.credentials),
        )


class OnrampGraphQL(Endpoint):
    """Customers' endpoint, `/graphql`."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, schema, Credentials.customers(settings))

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        client = request.scope.get("client")
        is_http = isinstance(request, Request)
        if not is_http:
            # Accepted by now: every socket is closed with 1001 when the process shuts down.
            request.app.state.sockets.track(request)
        return RequestContext(
            request=request,
            response=response,
            request_id=request.scope.get("state", {}).get("request_id", "-"),
            client_ip=client[0] if client else "unknown",
            user_agent=request.headers.get("user-agent", "")[:512],
            accept_language=request.headers.get("accept-language"),
            frontend_url=self.settings.frontend_base,
            services=request.app.state.services,
            token=http_credential(request, self.credentials) if is_http else None,
            cookie=self.cookie(request, response),
            remember_session=is_http,
        )

    async def on_ws_connect(self, context: RequestContext) -> UnsetType:
        """The payload's token, else the upgrade request's cookie (its Origin was checked)."""
        params = context.connection_params or {}
        offered = params.get("authorization")
        if isinstance(offered, str):
            context.token = bearer_token(offered)
        else:
            context.token = context.request.cookies.get(self.credentials.cookie_name)
        session = await context.services.sessions.find(context.token)
        if session is not None:
            context.request.app.state.sockets.add(session.id, context.request)
        return UnsetType()


class StaffGraphQL(Endpoint):
    """Staff's endpoint, `/staff/graphql`: over HTTP only; customers' sessions mean nothing."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, staff_schema, Credentials.staff(settings))

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> StaffContext:
        client = request.scope.get("client")
        return StaffContext(
            request=request,
            response=response,
            request_id=request.scope.get("state", {}).get("request_id", "-"),
            client_ip=client[0] if client else "unknown",
            user_agent=request.headers.get("user-agent", "")[:512],
            services=request.app.state.services,
            token=http_credential(request, self.credentials),
            cookie=self.cookie(request, response),
        )


def bad_request(status: int, reason: str) -> JSONResponse:
    """A refusal of the request itself, in the shape of a GraphQL response."""
    return JSONResponse(
        {"errors": [{"message": reason, "extensions": {"code": "BAD_REQUEST"}}]},
        status_code=status,
    )

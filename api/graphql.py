"""The GraphQL endpoint: Strawberry over HTTP and both websocket subprotocols.

A request that is not a GraphQL request (a body that is not UTF-8 JSON, JSON that is not an
object, nesting too deep to read) answers 400 with a JSON error that names the problem,
never a 500, and the connection stays open for the next request.
"""

from __future__ import annotations

import json

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.types.unset import UnsetType

from api.auth import SessionCookie, bearer_token, http_credential, origin_allowed
from api.graphiql import graphiql_page
from api.settings import Settings
from resolvers.context import RequestContext
from resolvers.schema import schema


class OnrampGraphQL(GraphQL[RequestContext, None]):
    def __init__(self, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            # Queries travel only as POST with a JSON body: a cookie must never ride a GET.
            allow_queries_via_get=False,
            allowed_origins=settings.origins,
        )
        self.settings = settings

    @property
    def graphql_ide_html(self) -> str:
        return graphiql_page()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as refused:
            response = bad_request(refused.status_code, refused.reason)
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        try:
            decoded = json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
        except RecursionError:
            raise HTTPException(400, "The JSON body is nested too deeply.") from None
        except ValueError:  # not JSON, or not UTF-8
            raise HTTPException(400, "The body is not JSON in UTF-8.") from None
        if not isinstance(decoded, dict | list):
            raise HTTPException(
                400, "The body must be a JSON object with `query` (and `variables`)."
            )
        return decoded

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
            frontend_url=self.settings.frontend_base,
            services=request.app.state.services,
            token=http_credential(request, self.settings) if isinstance(request, Request) else None,
            cookie=SessionCookie(
                response if isinstance(response, Response) else None,
                self.settings,
                allowed=origin_allowed(request, self.settings),
            ),
            remember_session=is_http,
        )

    async def on_ws_connect(self, context: RequestContext) -> UnsetType:
        """The payload's token, else the upgrade request's cookie (its Origin was checked)."""
        params = context.connection_params or {}
        offered = params.get("authorization")
        if isinstance(offered, str):
            context.token = bearer_token(offered)
        else:
            context.token = context.request.cookies.get(self.settings.session_cookie_name)
        session = await context.services.sessions.find(context.token)
        if session is not None:
            context.request.app.state.sockets.add(session.id, context.request)
        return UnsetType()


def bad_request(status: int, reason: str) -> JSONResponse:
    """A refusal of the request itself, in the shape of a GraphQL response."""
    return JSONResponse(
        {"errors": [{"message": reason, "extensions": {"code": "BAD_REQUEST"}}]},
        status_code=status,
    )

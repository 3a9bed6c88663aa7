"""The GraphQL endpoint: Strawberry over HTTP and both websocket subprotocols."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from api.auth import SessionCookie, http_credential
from api.settings import Settings
from resolvers.context import RequestContext
from resolvers.schema import schema


class OnrampGraphQL(GraphQL):
    def __init__(self, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            # Queries travel only as POST with a JSON body: a cookie must never ride a GET.
            allow_queries_via_get=False,
            allowed_origins=settings.origins,
        )
        self.settings = settings

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        client = request.scope.get("client")
        is_http = request.scope["type"] == "http"
        return RequestContext(
            request=request,
            response=response,
            request_id=request.scope.get("state", {}).get("request_id", "-"),
            client_ip=client[0] if client else "unknown",
            user_agent=request.headers.get("user-agent", "")[:512],
            frontend_url=self.settings.frontend_base,
            services=request.app.state.services,
            token=http_credential(request, self.settings) if is_http else None,
            cookie=SessionCookie(response if is_http else None, self.settings),
        )

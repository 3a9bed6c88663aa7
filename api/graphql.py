"""The GraphQL endpoint: Strawberry over HTTP and both websocket subprotocols."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.types.unset import UnsetType

from api.auth import SessionCookie, bearer_token, http_credential
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

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        client = request.scope.get("client")
        is_http = isinstance(request, Request)
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
                response if isinstance(response, Response) else None, self.settings
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

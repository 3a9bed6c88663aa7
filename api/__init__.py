"""The HTTP edge of Onramp: ASGI app, settings, request context, routes and CLI."""

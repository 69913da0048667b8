"""ASGI middleware: request body limits and Prometheus request metrics."""

from __future__ import annotations

import json
import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _too_large(limit: int) -> bytes:
    message = f"the request body is larger than {limit} bytes"
    return json.dumps({"error": {"code": "body_too_large", "message": message}}).encode()


class BodyLimitMiddleware:
    """Refuse bodies over the limit with 413, by Content-Length or while streaming, before a route
    reads them; `overrides` gives some path prefixes a larger limit (bulk imports)."""

    def __init__(self, app: ASGIApp, *, limit: int, overrides: dict[str, int]) -> None:
        self.app = app
        self.limit = limit
        self.overrides = overrides

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = next((v for k, v in self.overrides.items() if path.startswith(k)), self.limit)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await _send_413(send, limit)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                # An HTTPException passes through FastAPI's body parsing to the error handlers.
                raise HTTPException(413, f"the request body is larger than {limit} bytes")
            return message

        await self.app(scope, limited, send)


async def _send_413(send: Send, limit: int) -> None:
    body = _too_large(limit)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class MetricsMiddleware:
    """Count and time requests per route template (a raw path would explode the label set)."""

    def __init__(self, app: ASGIApp, *, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "buyerguard_http_requests",
            "HTTP requests",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "buyerguard_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            route = _route(scope)
            self.latency.labels(scope["method"], route).observe(time.perf_counter() - start)
            self.requests.labels(scope["method"], route, str(status["code"])).inc()


def _route(scope: Scope) -> str:
    route = scope.get("route")
    return str(getattr(route, "path", "unmatched"))

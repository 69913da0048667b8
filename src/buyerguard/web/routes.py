"""The route class of the JSON API: a body is JSON, decoded as JSON Lines are, or it is refused.

FastAPI decodes a JSON body itself, with the standard library's defaults (a key given twice: the
last one wins), and hands a body of any other media type to validation as bytes ("Input should be
a valid dictionary"). A route of this class decodes the body first, with the decoder every JSON
Lines route uses, and answers 415 for a body that does not say it is JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from buyerguard.domain import json_lines
from buyerguard.domain.errors import InvalidInputError

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class JsonRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        if self.body_field is None:  # no body, or one the route reads itself (JSON Lines, CSV)
            return handler

        async def decoded_first(request: Request) -> Response:
            decoded = _DecodedRequest(request.scope, request.receive)
            await decoded.decode()
            return await handler(decoded)

        return decoded_first


class _DecodedRequest(Request):
    """A request whose JSON body was decoded before FastAPI asks for it."""

    _decoded: object = None

    async def decode(self) -> None:
        body = await self.body()
        if not body:  # validation reports the missing body
            return
        if not is_json(self.headers.get("content-type", "")):
            raise HTTPException(
                415, "the body must be JSON, sent as Content-Type: application/json"
            )
        text = body.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
        try:
            self._decoded = json_lines.decode(text)
        except InvalidInputError as error:
            raise HTTPException(422, f"body: {error.message}") from None

    async def json(self) -> Any:
        return self._decoded


def is_json(content_type: str) -> bool:
    """`application/json` or `application/<anything>+json`, in any case, parameters aside."""
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )

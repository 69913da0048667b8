"""The one place that knows HTTP status codes: domain errors become `{"error": {code, message}}`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from buyerguard.domain.errors import (
    AuthenticationError,
    BuyerGuardError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)

log = logging.getLogger("buyerguard.web")

STATUS_BY_ERROR: dict[type[BuyerGuardError], int] = {
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    InvalidInputError: 422,
}

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
HTTP_CODES = {
    401: "unauthenticated",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
}


def status_for(error: BuyerGuardError) -> int:
    """Walk the error's class hierarchy so subclasses inherit their parent's status."""
    return next((STATUS_BY_ERROR[c] for c in type(error).__mro__ if c in STATUS_BY_ERROR), 400)


def error_body(code: str, message: str, details: dict[str, object] | None = None) -> dict[str, Any]:
    """`code` and `message` always; specifics such as a field or a line number beside them."""
    return {"error": {**(details or {}), "code": code, "message": message}}


def error_fields(error: BuyerGuardError) -> dict[str, object]:
    """A domain error as every answer shows it, alone or as one line's of a batch."""
    fields: dict[str, object] = error_body(error.code, error.message, error.details())["error"]
    return fields


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, object] | None = None,
    *,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


_NOT_JSON = "body: not valid JSON"


def _describe(error: dict[str, Any]) -> str:
    if error.get("type") == "json_invalid":  # its location is a character offset, not a field
        return f"{_NOT_JSON} ({error.get('ctx', {}).get('error', 'cannot be decoded')})"
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    # Our validators' messages are sentences of their own: pydantic's prefix adds nothing.
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where or 'body'}: {message}"


async def _domain(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BuyerGuardError)
    return error_response(status_for(exc), exc.code, exc.message, exc.details())


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    message = "; ".join(_describe(e) for e in exc.errors()[:10])
    return error_response(422, "invalid_request", message)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # The framework's answer to a body it could not decode at all (bad UTF-8, a number of
        # thousands of digits, nesting deeper than the parser goes): invalid input like any other.
        return error_response(422, "invalid_request", f"{_NOT_JSON} (it cannot be decoded)")
    code = HTTP_CODES.get(exc.status_code, "http_error")
    if exc.status_code == 405:
        allowed = _allowed(request)
        message = f"{request.method} is not allowed on {request.url.path}; it takes {allowed}"
        return error_response(405, code, message, headers={"Allow": allowed})
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


def _allowed(request: Request) -> str:
    """Every method the path takes, asking the router about each: Starlette's own Allow names only
    those of the first route matching the path (`PUT /v1/tags` would be told POST, not GET)."""

    def takes(method: str) -> bool:
        probe = {**request.scope, "method": method, "fastapi": {}}  # the live scope left alone
        return any(route.matches(probe)[0] == Match.FULL for route in request.app.router.routes)

    return ", ".join(method for method in _METHODS if takes(method))


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "internal_error", "an unexpected error occurred; it was logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(BuyerGuardError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": code,
        "content": {"application/json": {"example": error_body(code, "...")}},
    }
    for status, code in {
        401: "unauthenticated",
        404: "not_found",
        409: "conflict",
        422: "invalid_input",
    }.items()
}

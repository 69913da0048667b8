"""A small Python client for sellers' shops, with a firm timeout and a chosen failure mode.

It stands alone (standard library only, nothing else of buyerguard) so a shop can vendor it.
When buyerguard is slow or down, `screen` does not raise: it returns the seller's chosen fallback
(`on_failure="open"` ships, `"closed"` holds the order for review) marked `degraded`, so checkout
never waits longer than the timeout. Mistakes in the request itself (4xx) do raise.
"""

from __future__ import annotations

import contextvars
import http.client
import io
import json
import queue
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Literal

FailureMode = Literal["open", "closed"]
FALLBACK_DECISION: dict[str, str] = {"open": "ship", "closed": "review"}


class ClientError(Exception):
    """The request was refused for what it said (bad key, bad input): retrying will not help."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class ServiceUnavailable(Exception):
    """buyerguard timed out, could not be reached, answered 429 or 5xx, or answered with something
    that is not buyerguard's: the one error `lookup` raises for all of these (the cause chained)."""


class UnexpectedReply(ValueError):
    """A 2xx answer that is not buyerguard's (a proxy's page, a body of the wrong shape): the
    service is failing as surely as when it does not answer."""


@dataclass(frozen=True)
class ScreeningResult:
    decision: str
    degraded: bool = False  # True: no usable answer in time; `decision` is the fallback
    reasons: list[dict[str, Any]] = field(default_factory=list)
    screening_id: int | None = None
    error: str | None = None
    body: dict[str, Any] = field(default_factory=dict)


# What a slow, down or misbehaving service raises: the cases `screen` answers with the fallback.
_SERVICE_FAILURES = (OSError, http.client.HTTPException, UnexpectedReply)


class Client:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 0.5,
        on_failure: FailureMode = "closed",
    ) -> None:
        if on_failure not in FALLBACK_DECISION:
            raise ValueError("on_failure must be 'open' or 'closed'")
        if not timeout > 0:
            raise ValueError("timeout must be a positive number of seconds")
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            # Else every screening would fail, and be hidden as a degraded fallback.
            raise ValueError(f"base_url must be an http:// or https:// URL, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.on_failure = on_failure
        self._opener = urllib.request.build_opener(_HTTPHandler, _HTTPSHandler)

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """The answer's JSON object, or the error, within the timeout. The exchange runs on a
        thread of its own: nothing in it (not even resolving the host name) can hold the caller
        longer, and it gives up by the same deadline itself."""
        request = urllib.request.Request(
            self.base_url + path,
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"},
            method="POST",
        )
        deadline = time.monotonic() + self.timeout
        outcome: queue.SimpleQueue[dict[str, Any] | Exception] = queue.SimpleQueue()

        def exchange() -> None:
            _DEADLINE.set(deadline)
            try:
                outcome.put(self._exchange(request, deadline))
            except Exception as error:  # handed to the caller, who decides what it means
                outcome.put(error)

        threading.Thread(target=exchange, name="buyerguard-client", daemon=True).start()
        try:
            result = outcome.get(timeout=self.timeout)
        except queue.Empty:
            raise TimeoutError(f"no answer within {self.timeout} s") from None
        if isinstance(result, Exception):
            raise result
        return result

    def _exchange(self, request: urllib.request.Request, deadline: float) -> dict[str, Any]:
        left = max(deadline - time.monotonic(), 0.001)
        try:
            with self._opener.open(request, timeout=left) as response:
                return _json_object(response.read())
        except urllib.error.HTTPError as error:
            with error:  # the connection ends with the exchange; its body goes on without it
                body = _body_of(error)
            if 400 <= error.code < 500 and error.code != 429:
                raise _refusal(error.code, error.reason, body) from None
            raise urllib.error.HTTPError(
                request.full_url, error.code, error.reason, error.headers, io.BytesIO(body)
            ) from None

    def screen(self, order: dict[str, Any], buyer: dict[str, str]) -> ScreeningResult:
        """Screen one order; when buyerguard times out, cannot be reached, answers 429 or 5xx, or
        answers with something that is not a screening, return the fallback."""
        try:
            body = self._post("/v1/screenings", {"order": order, "buyer": buyer})
            decision = body.get("decision")
            if not isinstance(decision, str):
                raise UnexpectedReply(f"not a screening: no decision in {_excerpt(body)}")
        except _SERVICE_FAILURES as error:
            return ScreeningResult(
                decision=FALLBACK_DECISION[self.on_failure], degraded=True, error=repr(error)
            )
        return ScreeningResult(
            decision=decision,
            reasons=body.get("reasons", []),
            screening_id=body.get("screening_id"),
            body=body,
        )

    def lookup(self, buyer: dict[str, str]) -> dict[str, Any]:
        """A buyer's profile. A lookup has no safe default, so failures raise: ClientError for a
        refused request, ServiceUnavailable when the service fails to answer with a profile."""
        try:
            body = self._post("/v1/buyers/lookup", {"buyer": buyer})
            if "distinct_reporters" not in body:
                raise UnexpectedReply(f"not a profile: {_excerpt(body)}")
        except _SERVICE_FAILURES as error:
            raise ServiceUnavailable(repr(error)) from error
        return body


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(data)
    except ValueError:
        raise UnexpectedReply(f"not JSON: {_excerpt(data)}") from None
    if not isinstance(parsed, dict):
        raise UnexpectedReply(f"not a JSON object: {_excerpt(parsed)}")
    return parsed


def _body_of(error: urllib.error.HTTPError) -> bytes:
    try:
        return error.read()
    except (OSError, http.client.HTTPException):
        return b""  # cut short, or too slow: the status says enough


def _refusal(status: int, reason: str, body: bytes) -> ClientError:
    """The refusal as the server explains it in its JSON body; from a proxy's page, the status and
    its reason alone."""
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    detail = parsed.get("error") if isinstance(parsed, dict) else None
    if not isinstance(detail, dict):
        detail = {}
    code, message = detail.get("code", "error"), detail.get("message", reason)
    return ClientError(status, str(code), str(message))


def _excerpt(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


# The deadline of the exchange running on this thread, for the responses it reads.
_DEADLINE: contextvars.ContextVar[float] = contextvars.ContextVar("buyerguard_client_deadline")


class _DeadlineReader(io.RawIOBase):
    """Reads a response giving each read only the time left before the deadline: a server that
    sends its answer a byte at a time cannot stretch the wait, as it can with a timeout per read."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)  # holds the socket open until closed
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the answer did not arrive in time")
        self._sock.settimeout(left)
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp.close()
        self.fp = io.BufferedReader(_DeadlineReader(sock, _DEADLINE.get()))


class _HTTPConnection(http.client.HTTPConnection):
    response_class = _DeadlineResponse


class _HTTPSConnection(http.client.HTTPSConnection):
    response_class = _DeadlineResponse


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPSConnection, req)

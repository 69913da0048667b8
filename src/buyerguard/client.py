"""A small Python client for sellers' shops, with a firm timeout and a chosen failure mode.

It stands alone (standard library only, nothing else of buyerguard) so a shop can vendor it.
When buyerguard is slow or down, `screen` does not raise: it returns the seller's chosen fallback
(`on_failure="open"` ships, `"closed"` holds the order for review) marked `degraded`, so checkout
never waits longer than the timeout. Mistakes in the request itself (4xx) do raise.
"""

from __future__ import annotations

import json
import urllib.error
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


@dataclass(frozen=True)
class ScreeningResult:
    decision: str
    degraded: bool = False  # True: buyerguard did not answer in time; `decision` is the fallback
    reasons: list[dict[str, Any]] = field(default_factory=list)
    screening_id: int | None = None
    error: str | None = None
    body: dict[str, Any] = field(default_factory=dict)


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
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.on_failure = on_failure

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.base_url + path,
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                result: dict[str, Any] = json.loads(response.read())
                return result
        except urllib.error.HTTPError as error:
            if 400 <= error.code < 500 and error.code != 429:
                detail = json.loads(error.read() or b"{}").get("error", {})
                raise ClientError(
                    error.code, detail.get("code", "error"), detail.get("message", "")
                ) from None
            raise

    def screen(self, order: dict[str, Any], buyer: dict[str, str]) -> ScreeningResult:
        """Screen one order; on a timeout, a network error, 429 or 5xx, return the fallback."""
        try:
            body = self._post("/v1/screenings", {"order": order, "buyer": buyer})
        except (urllib.error.URLError, TimeoutError, ConnectionError, ValueError) as error:
            return ScreeningResult(
                decision=FALLBACK_DECISION[self.on_failure], degraded=True, error=repr(error)
            )
        return ScreeningResult(
            decision=body["decision"],
            reasons=body.get("reasons", []),
            screening_id=body.get("screening_id"),
            body=body,
        )

    def lookup(self, buyer: dict[str, str]) -> dict[str, Any]:
        """A buyer's profile; errors raise (a lookup has no safe default)."""
        return self._post("/v1/buyers/lookup", {"buyer": buyer})

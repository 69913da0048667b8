"""The standalone client against a real server over real HTTP, and against a server that hangs."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import uvicorn

from buyerguard.client import Client, ClientError
from buyerguard.config import Settings
from buyerguard.storage.database import Database
from buyerguard.web.app import create_app

ORDER = {
    "ref": "C-1",
    "amount": 10.0,
    "currency": "EUR",
    "payment_method": "prepaid",
    "ship_to": {"country": "DE"},
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(settings: Settings, database: Database) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, database=database), host="127.0.0.1", port=port, log_level="error"
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def hanging() -> Iterator[str]:
    """Accepts connections and never answers: a server that is down in the worst way."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def key_of(header: dict[str, str]) -> str:
    return header["Authorization"].removeprefix("Bearer ")


def test_screen_over_http(server: str, new_seller: Callable[..., dict[str, str]]) -> None:
    client = Client(server, key_of(new_seller()), timeout=5)
    result = client.screen(ORDER, {"email": "x@example.com"})
    assert (result.decision, result.degraded) == ("ship", False)
    assert result.screening_id is not None
    assert client.lookup({"email": "x@example.com"})["buyer_id"] is not None


def test_bad_input_raises_instead_of_falling_back(
    server: str, new_seller: Callable[..., dict[str, str]]
) -> None:
    client = Client(server, key_of(new_seller()), timeout=5, on_failure="open")
    with pytest.raises(ClientError) as raised:
        client.screen({**ORDER, "currency": "XYZ"}, {"email": "x@example.com"})
    assert (raised.value.status, raised.value.code) == (422, "invalid_order")
    with pytest.raises(ClientError):
        Client(server, "bg_wrong", timeout=5).screen(ORDER, {"email": "x@example.com"})


@pytest.mark.parametrize(("mode", "decision"), [("open", "ship"), ("closed", "review")])
def test_a_hanging_server_gets_the_fallback_within_the_timeout(
    hanging: str, mode: str, decision: str
) -> None:
    client = Client(hanging, "bg_key", timeout=0.2, on_failure=mode)  # type: ignore[arg-type]
    started = time.monotonic()
    result = client.screen(ORDER, {"email": "x@example.com"})
    assert (result.decision, result.degraded) == (decision, True)
    assert time.monotonic() - started < 2  # bounded by the timeout, not by the server


def test_a_closed_port_gets_the_fallback() -> None:
    result = Client(f"http://127.0.0.1:{free_port()}", "bg_key", on_failure="closed").screen(
        ORDER, {"email": "a@b.co"}
    )
    assert (result.decision, result.degraded) == ("review", True)
    assert result.error

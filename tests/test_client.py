"""The standalone client against a real server over real HTTP, and against a server that hangs."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import uvicorn

from buyerguard.client import Client, ClientError, ScreeningResult, ServiceUnavailable
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
    assert (result.decision, result.degraded, result.error) == ("ship", False, None)
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


Answer = bytes | Callable[[socket.socket], None]


@pytest.fixture
def raw() -> Iterator[Callable[[Answer], str]]:
    """A server answering every request with the given bytes (or function): HTTP done wrong."""
    listeners: list[socket.socket] = []

    def serve(answer: Answer) -> str:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listeners.append(listener)
        threading.Thread(target=_accept, args=(listener, answer), daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}"

    yield serve
    for listener in listeners:
        listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        listener.close()


def _accept(listener: socket.socket, answer: Answer) -> None:
    while True:
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=_answer, args=(connection, answer), daemon=True).start()


def _answer(connection: socket.socket, answer: Answer) -> None:
    with connection:
        received = b""
        while b"\r\n\r\n" not in received and (chunk := connection.recv(65536)):
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        declared = re.search(rb"content-length: *(\d+)", head, re.IGNORECASE)
        length = int(declared[1]) if declared else 0
        while len(body) < length and (chunk := connection.recv(65536)):
            body += chunk  # read whole: closing on unread bytes would reset the connection
        try:
            if isinstance(answer, bytes):
                connection.sendall(answer)
            else:
                answer(connection)
        except OSError:
            pass  # the client gave up


def trickle(connection: socket.socket) -> None:
    """Headers a byte at a time, for ever: each read is quick, the answer never complete."""
    connection.sendall(b"HTTP/1.1 200 OK\r\n")
    while True:
        connection.sendall(b"X")
        time.sleep(0.05)


def reply(status: str, body: bytes, content_type: str = "application/json") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"Connection: close\r\n\r\n" + body


def client_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "buyerguard-client"]


def test_a_trickling_answer_gets_the_fallback_by_the_deadline(raw: Callable[[Answer], str]) -> None:
    client = Client(raw(trickle), "bg_key", timeout=0.3, on_failure="closed")
    results: list[ScreeningResult] = []
    started = time.monotonic()
    caller = threading.Thread(target=lambda: results.append(client.screen(ORDER, {})))
    caller.start()
    caller.join(timeout=5)
    assert results, "screen() was still waiting after 5 s"
    assert (results[0].decision, results[0].degraded) == ("review", True)
    assert time.monotonic() - started < 2
    time.sleep(0.5)
    assert not client_threads()  # the exchange gave up by the deadline too


def test_a_hanging_name_lookup_gets_the_fallback_within_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def slow_resolver(*args: object, **kwargs: object) -> list[Any]:
        time.sleep(3)
        return []

    monkeypatch.setattr(socket, "getaddrinfo", slow_resolver)
    client = Client("http://buyerguard.invalid", "bg_key", timeout=0.2, on_failure="open")
    started = time.monotonic()
    result = client.screen(ORDER, {"email": "x@example.com"})
    assert (result.decision, result.degraded) == ("ship", True)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (b"HELLO THIS IS NOT HTTP\r\n\r\n", "BadStatusLine"),
        (b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"decisio', "IncompleteRead"),
        (b"", "RemoteDisconnected"),
        (reply("200 OK", b"{}"), "not a screening"),
        (reply("200 OK", b'{"decision": null}'), "not a screening"),
        (reply("200 OK", b"[]"), "not a JSON object"),
        (reply("200 OK", b"<html>Welcome</html>", "text/html"), "not JSON"),
        (reply("503 Service Unavailable", b"<html>503</html>", "text/html"), "503"),
    ],
    ids=["not http", "cut short", "hung up", "no decision", "null", "array", "html", "503 html"],
)
def test_an_answer_that_is_not_a_screening_gets_the_fallback(
    raw: Callable[[Answer], str], answer: bytes, error: str
) -> None:
    result = Client(raw(answer), "bg_key", timeout=2, on_failure="open").screen(ORDER, {})
    assert (result.decision, result.degraded) == ("ship", True)
    assert result.error is not None
    assert error in result.error


def test_a_refusal_with_a_proxys_page_raises_with_its_status(
    raw: Callable[[Answer], str],
) -> None:
    page = reply("400 Bad Request", b"<html>400 Bad Request (nginx)</html>", "text/html")
    client = Client(raw(page), "bg_key", timeout=2, on_failure="open")
    with pytest.raises(ClientError) as screened:
        client.screen(ORDER, {})
    with pytest.raises(ClientError) as looked_up:
        client.lookup({"email": "x@example.com"})
    for raised in (screened, looked_up):
        assert (raised.value.status, raised.value.message) == (400, "Bad Request")


@pytest.mark.parametrize("base_url", ["127.0.0.1:8000", "guard.example.com", "ftp://guard", ""])
def test_a_base_url_that_is_not_http_is_refused_at_once(base_url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        Client(base_url, "bg_key")


@pytest.mark.parametrize(
    "answer",
    [
        b"HELLO THIS IS NOT HTTP\r\n\r\n",
        b"",
        reply("200 OK", b"{}"),
        reply("200 OK", b"<html>Welcome</html>", "text/html"),
        reply("503 Service Unavailable", b"<html>503</html>", "text/html"),
    ],
    ids=["not http", "hung up", "not a profile", "html", "503 html"],
)
def test_a_lookup_the_service_fails_raises_service_unavailable(
    raw: Callable[[Answer], str], answer: bytes
) -> None:
    client = Client(raw(answer), "bg_key", timeout=2, on_failure="open")
    with pytest.raises(ServiceUnavailable) as raised:
        client.lookup({"email": "x@example.com"})
    assert raised.value.__cause__ is not None


def test_a_lookup_of_a_closed_port_raises_service_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ServiceUnavailable):
        Client(f"http://127.0.0.1:{port}", "bg_key", timeout=1).lookup({"email": "x@example.com"})

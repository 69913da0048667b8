"""Alert subscriptions over HTTP, and deliveries to a real local HTTP server: signed, retried when
it fails, replayable, never redirected."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from buyerguard.domain.alerts import SIGNATURE_HEADER, signature_matches
from buyerguard.services.deliveries import DeliveryReport, HttpSender, deliver_alerts
from buyerguard.services.event_processing import process_events
from buyerguard.storage.database import Database
from buyerguard.storage.unit_of_work import SqlUnitOfWork

Auth = dict[str, str]
NOW = datetime.now(UTC)
BUYER = {"email": "flagged@example.com"}


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1 answering with `statuses` in turn (then 200)."""

    url: str
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.received.append((dict(self.headers.items()), self.rfile.read(length)))
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            if status == 302:
                self.send_header("Location", "http://elsewhere.example/steal")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test reads `received` instead."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/buyerguard"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def deliver(database: Database, at: datetime) -> DeliveryReport:
    return deliver_alerts(SqlUnitOfWork(database.sessions), now=at, send=HttpSender(timeout=5))


def post_event(client: TestClient, auth: Auth, event_id: str, kind: str, ref: str) -> None:
    event = {
        "event_id": event_id,
        "type": kind,
        "occurred_at": (NOW - timedelta(days=1)).isoformat(),
        "order_ref": ref,
        "buyer": BUYER,
    }
    assert client.post("/v1/events", json=event, headers=auth).status_code == 202


def flag_buyer(client: TestClient, database: Database, watcher: Auth, tagger: Auth) -> None:
    """`watcher` has an open order with the buyer; `tagger`'s events earn it an automatic tag."""
    post_event(client, watcher, "w1", "order.created", "W-1")
    post_event(client, tagger, "t1", "cod.refused", "T-1")
    report = process_events(SqlUnitOfWork(database.sessions), now=NOW)
    assert report.alerts == 1


def subscribe(client: TestClient, auth: Auth, url: str) -> dict[str, object]:
    response = client.post(
        "/v1/subscriptions", json={"url": url, "events": ["buyer.flagged"]}, headers=auth
    )
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


def test_a_subscriber_receives_a_signed_buyer_flagged_with_retries(
    client: TestClient,
    new_seller: Callable[..., Auth],
    database: Database,
    receiver: Receiver,
) -> None:
    watcher, tagger = new_seller(), new_seller()
    created = subscribe(client, watcher, receiver.url)
    secret = str(created["secret"])
    receiver.statuses = [500]
    flag_buyer(client, database, watcher, tagger)

    first = deliver(database, NOW)
    assert (first.sent, first.retrying) == (1, 1)
    assert deliver(database, NOW + timedelta(seconds=29)).sent == 0
    second = deliver(database, NOW + timedelta(seconds=30))
    assert second.delivered == 1

    assert len(receiver.received) == 2
    (headers, body), (retry_headers, retry_body) = receiver.received
    assert retry_body == body
    assert signature_matches(headers[SIGNATURE_HEADER], body, secret, now=NOW)
    assert signature_matches(
        retry_headers[SIGNATURE_HEADER], body, secret, now=NOW + timedelta(seconds=30)
    )
    assert not signature_matches(headers[SIGNATURE_HEADER], body, "a-wrong-secret-123", now=NOW)
    assert headers["Buyerguard-Event"] == "buyer.flagged"
    assert b'"your_open_orders":["W-1"]' in body
    assert b'"new_reasons":["cod_refusal"]' in body

    log = client.get(f"/v1/subscriptions/{created['id']}/deliveries", headers=watcher).json()
    (delivery,) = log["deliveries"]
    assert (delivery["status"], delivery["attempts"], delivery["last_status"]) == (
        "delivered",
        2,
        200,
    )


def test_a_delivery_can_be_replayed(
    client: TestClient,
    new_seller: Callable[..., Auth],
    database: Database,
    receiver: Receiver,
) -> None:
    watcher, tagger = new_seller(), new_seller()
    created = subscribe(client, watcher, receiver.url)
    flag_buyer(client, database, watcher, tagger)
    deliver(database, NOW)
    path = f"/v1/subscriptions/{created['id']}/deliveries"
    (delivery,) = client.get(path, headers=watcher).json()["deliveries"]

    replay = client.post(f"{path}/{delivery['id']}/replay", headers=watcher)
    assert replay.status_code == 202
    assert replay.json()["status"] == "pending"
    assert client.post(f"{path}/{delivery['id']}/replay", headers=tagger).status_code == 404
    assert deliver(database, datetime.now(UTC)).delivered == 1
    assert [body for _, body in receiver.received] == [receiver.received[0][1]] * 2


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    client: TestClient,
    new_seller: Callable[..., Auth],
    database: Database,
    receiver: Receiver,
) -> None:
    watcher, tagger = new_seller(), new_seller()
    created = subscribe(client, watcher, receiver.url)
    receiver.statuses = [302]
    flag_buyer(client, database, watcher, tagger)
    assert deliver(database, NOW).retrying == 1
    assert len(receiver.received) == 1
    log = client.get(f"/v1/subscriptions/{created['id']}/deliveries", headers=watcher).json()
    assert log["deliveries"][0]["last_error"] == "HTTP 302: redirects are not followed"


def test_a_dead_endpoint_is_retried_later() -> None:
    result = HttpSender(timeout=2)("http://127.0.0.1:9/", b"{}", {})
    assert result.status is None
    assert result.error is not None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.\x001/hook",
        "http://" + "a" * 64 + ".example/hook",
        "http://127.0.0.1:99999/",
        "http://127.0.0.1:9/h\u00fcll",
    ],
)
def test_a_url_no_request_can_be_sent_to_is_a_failed_attempt(url: str) -> None:
    """As stored before such URLs were refused: the sender reports them, it does not raise."""
    result = HttpSender(timeout=2)(url, b"{}", {})
    assert result.status is None
    assert result.error is not None


def test_subscriptions_are_created_listed_and_deleted(
    client: TestClient, new_seller: Callable[..., Auth]
) -> None:
    auth, other = new_seller(), new_seller()
    mine = client.post(
        "/v1/subscriptions",
        json={
            "url": "https://hooks.example.com/a",
            "events": ["screening.decided"],
            "secret": "my-own-secret-1234",
        },
        headers=auth,
    ).json()
    assert mine["secret"] == "my-own-secret-1234"
    listed = client.get("/v1/subscriptions", headers=auth).json()
    assert listed == [
        {
            "id": mine["id"],
            "url": "https://hooks.example.com/a",
            "events": ["screening.decided"],
            "created_at": mine["created_at"],
        }
    ]
    assert client.get("/v1/subscriptions", headers=other).json() == []
    order = {"ref": "SO-1", "amount": 5, "currency": "EUR", "payment_method": "prepaid"}
    screening = {"order": order | {"ship_to": {"country": "DE"}}, "buyer": BUYER}
    assert client.post("/v1/screenings", json=screening, headers=auth).status_code == 201
    assert client.delete(f"/v1/subscriptions/{mine['id']}", headers=other).status_code == 404
    assert client.delete(f"/v1/subscriptions/{mine['id']}", headers=auth).status_code == 204
    assert client.get("/v1/subscriptions", headers=auth).json() == []
    log = f"/v1/subscriptions/{mine['id']}/deliveries"
    (cancelled,) = client.get(log, headers=auth).json()["deliveries"]
    assert (cancelled["event"], cancelled["status"]) == ("screening.decided", "cancelled")
    assert client.get(log, headers=other).json()["error"]["code"] == "subscription_not_found"
    again = client.delete(f"/v1/subscriptions/{mine['id']}", headers=auth)
    assert again.json()["error"]["code"] == "subscription_not_found"


@pytest.mark.parametrize(
    "sent",
    [
        {"url": "ftp://hooks.example.com/", "events": ["buyer.flagged"]},
        {"url": "https://hooks.example.com/", "events": ["order.created"]},
        {"url": "https://hooks.example.com/", "events": ["buyer.flagged"], "secret": "short"},
        {"url": "https://hooks.example.com/", "events": ["buyer.flagged"], "secret": ""},
        {"url": "http://hooks.exa\u0000mple.com/", "events": ["buyer.flagged"]},
        {"url": "http://" + "a" * 64 + ".example/hook", "events": ["buyer.flagged"]},
    ],
)
def test_bad_subscriptions_are_refused(
    client: TestClient, new_seller: Callable[..., Auth], sent: dict[str, object]
) -> None:
    auth = new_seller()
    response = client.post("/v1/subscriptions", json=sent, headers=auth)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"
    assert client.get("/v1/subscriptions", headers=auth).json() == []

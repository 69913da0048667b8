"""Request and response bodies of the JSON API; the edge's own types, never passed below `web`."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    field_validator,
    model_validator,
)

from buyerguard.domain import json_lines
from buyerguard.domain.errors import BuyerGuardError, InvalidInputError
from buyerguard.domain.profiles import Profile
from buyerguard.domain.reputation import Risk, shown
from buyerguard.domain.screening import (
    MAX_POSTAL_CODE_LENGTH,
    MAX_REF_LENGTH,
    MAX_REGION_LENGTH,
    InvalidOrderError,
    LoggedScreening,
    Order,
)
from buyerguard.domain.sellers import Seller
from buyerguard.domain.tags import Tag
from buyerguard.domain.text import unstorable
from buyerguard.domain.times import EARLIEST, TimeRangeError, as_utc


def _within(earliest: datetime | None) -> Callable[[datetime], datetime]:
    """A pydantic validator: the time in UTC, from `earliest` on (pydantic names the field)."""

    def validate(value: datetime) -> datetime:
        try:
            return as_utc(value, field="time", earliest=earliest)
        except TimeRangeError as error:
            raise ValueError(error.problem) from None

    return validate


def _iso_8601(value: object) -> object:
    """Only a string in ISO 8601's shape: lax parsing would read a number, or a string of digits,
    as seconds since 1970. The date must come first, as pydantic then requires."""
    if not isinstance(value, str) or not re.match(r"\d{4}-", value):
        raise ValueError("expected an ISO 8601 date-time with a time zone, as 2026-03-01T14:00:00Z")
    return value


# Strict models take a datetime only as an instance: this one is parsed from its string (in a body
# or a query, alike) once its shape is checked.
IsoTime = Annotated[AwareDatetime, Field(strict=False), BeforeValidator(_iso_8601)]
# A time a fact happened or ends: in UTC, not before 1970.
FactTime = Annotated[IsoTime, AfterValidator(_within(EARLIEST))]
# A bound of a search: any time UTC can hold.
SearchTime = Annotated[IsoTime, AfterValidator(_within(None))]


class BuyerIn(BaseModel):
    """At least one identifier; all given together are linked to one buyer."""

    model_config = ConfigDict(extra="forbid", strict=True)

    platform_buyer_id: str | None = Field(None, examples=["aliexpress:cn1234"])
    email: str | None = Field(None, examples=["buyer@example.com"])
    phone: str | None = Field(None, examples=["+4915112345678"])
    shipping_address: str | None = None
    payment_fingerprint: str | None = None

    def identifiers(self) -> dict[str, object]:
        return self.model_dump(exclude_none=True)


class TagIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    buyer: BuyerIn
    reason: str = Field(examples=["frequent_returns"])
    note: str = Field("", description="Private to you; never shown to other sellers.")
    order_ref: str | None = Field(
        None, description="Your order reference, if the tag is about one."
    )


class TagCreated(BaseModel):
    id: int


class TagOut(BaseModel):
    id: int
    reason: str
    note: str
    order_ref: str | None
    source: str
    status: str
    order_backed: bool
    event_backed: bool = Field(
        description="Made by the event rules, or your own tag that events confirmed."
    )
    confirmed_order_ref: str | None = Field(
        description="The order whose events confirm your own tag; null if none does."
    )
    created_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, tag: Tag) -> TagOut:
        return cls(
            id=tag.id,
            reason=tag.reason,
            note=tag.note,
            order_ref=tag.order_ref,
            source=tag.source.value,
            status=tag.status.value,
            order_backed=tag.order_backed,
            event_backed=tag.event_backed,
            confirmed_order_ref=tag.confirmed_order_ref,
            created_at=tag.created_at,
            expires_at=tag.expires_at,
        )


class TagPage(BaseModel):
    tags: list[TagOut]
    next_after: int | None = Field(
        description="Pass as `after` to get the next page; null at the end."
    )


class LookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    buyer: BuyerIn


class ReasonOut(BaseModel):
    reason: str
    label: str
    kind: str
    misconduct: bool
    sellers: int = Field(description="Other sellers who flagged this reason (you excluded).")
    mine: bool


class ContributionOut(BaseModel):
    reason: str
    label: str
    kind: str
    misconduct: bool
    weight: float
    sellers: int
    order_backed: int
    explanation: str


class RiskOut(BaseModel):
    score: float
    level: str
    logistics_score: float
    contributions: list[ContributionOut]
    model_version: str

    @classmethod
    def of(cls, risk: Risk) -> RiskOut:
        return cls(
            score=shown(risk.score),
            level=risk.level,
            logistics_score=shown(risk.logistics_score),
            contributions=[
                ContributionOut(
                    reason=c.reason,
                    label=c.label,
                    kind=c.kind,
                    misconduct=c.misconduct,
                    weight=round(c.weight, 4),
                    sellers=c.sellers,
                    order_backed=c.order_backed,
                    explanation=c.explanation,
                )
                for c in risk.contributions
            ],
            model_version=risk.model_version,
        )


class ProfileOut(BaseModel):
    buyer_id: int | None
    distinct_reporters: int
    reasons: list[ReasonOut]
    my_tags: list[TagOut]
    clean_sellers: int
    first_reported_at: datetime | None
    last_reported_at: datetime | None
    risk: RiskOut

    @classmethod
    def of(cls, profile: Profile) -> ProfileOut:
        return cls(
            buyer_id=profile.buyer_id,
            distinct_reporters=profile.distinct_reporters,
            reasons=[ReasonOut(**line.__dict__) for line in profile.reasons],
            my_tags=[TagOut.of(tag) for tag in profile.my_tags],
            clean_sellers=profile.clean_sellers,
            first_reported_at=profile.first_reported_at,
            last_reported_at=profile.last_reported_at,
            risk=RiskOut.of(profile.risk),
        )


class CompletedOrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    buyer: BuyerIn
    order_ref: Annotated[str, Field(min_length=1, max_length=200)]
    completed_at: FactTime | None = None


class CompletedOrderOut(BaseModel):
    order_ref: str
    duplicate: bool


class ImportOut(BaseModel):
    tags: int
    completed_orders: int
    duplicates: int


class SellerOut(BaseModel):
    id: int
    name: str
    role: str
    trust: float
    created_at: datetime

    @classmethod
    def of(cls, seller: Seller) -> SellerOut:
        return cls(
            id=seller.id,
            name=seller.name,
            role=seller.role.value,
            trust=round(seller.trust, 4),
            created_at=seller.created_at,
        )


class ShipToIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The limits are the domain's (Order checks them); shown here, not checked twice.
    country: str = Field(examples=["DE"], description="ISO 3166-1 alpha-2")
    region: str = Field("", json_schema_extra={"maxLength": MAX_REGION_LENGTH})
    postal_code: str = Field("", json_schema_extra={"maxLength": MAX_POSTAL_CODE_LENGTH})


class OrderIn(BaseModel):
    """Every problem with an order is the domain's `invalid_order` naming the field: its values
    are checked by `Order`, and what validation finds first (a field missing, of the wrong type)
    is raised as one too."""

    model_config = ConfigDict(extra="forbid")

    ref: str = Field(
        examples=["SO-1001"],
        description="Your order reference.",
        json_schema_extra={"maxLength": MAX_REF_LENGTH},
    )
    amount: float = Field(examples=[59.90])
    currency: str = Field(examples=["EUR"], description="ISO 4217")
    payment_method: str = Field(examples=["prepaid"], description="`prepaid` or `cod`")
    ship_to: ShipToIn

    @model_validator(mode="wrap")
    @classmethod
    def _as_order_error(cls, value: object, handler: ModelWrapValidatorHandler[OrderIn]) -> OrderIn:
        # The domain's error is let through by validation, and so by the routes' error handler.
        try:
            return handler(value)
        except ValidationError as error:
            raise _order_error(error) from None

    @field_validator("amount", mode="before")
    @classmethod
    def _a_json_number(cls, value: object) -> object:
        # Lax validation would read true as 1.0 and "12.5" as 12.5.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidOrderError("order.amount", "a JSON number")
        return value

    def to_order(self) -> Order:
        return Order(
            ref=self.ref,
            amount=self.amount,
            currency=self.currency,
            payment_method=self.payment_method,
            country=self.ship_to.country,
            region=self.ship_to.region,
            postal_code=self.ship_to.postal_code,
        )


# Pydantic's words for "not an object" name the model's class, which means nothing to a client.
_NOT_AN_OBJECT = frozenset({"model_type", "model_attributes_type"})


def _order_error(error: ValidationError) -> InvalidOrderError:
    """The first problem validation found in an order, as the domain words its own."""
    first = error.errors()[0]
    field = ".".join(["order", *(str(part) for part in first["loc"])])
    if first["type"] in _NOT_AN_OBJECT:
        return InvalidOrderError(field, "a JSON object")
    found = unstorable(first["input"]) if isinstance(first["input"], str) else None
    if first["type"] == "string_unicode" and found is not None:
        return InvalidOrderError(field, found.message)  # as a stored text names the character
    return InvalidOrderError(field, first["msg"])


class ScreeningIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order: OrderIn
    buyer: BuyerIn


ScreeningLine = tuple[int, Order | BuyerGuardError, dict[str, object]]


def screening_lines(raw: bytes) -> list[ScreeningLine]:
    """A batch of JSON Lines (`POST /v1/screenings/batch`, `buyerguard screen --file`): each line's
    number with its order and buyer, or with the error that line is."""
    return [_screening_line(number, value) for number, value in json_lines.decoded_lines(raw)]


def _screening_line(number: int, value: object) -> ScreeningLine:
    if isinstance(value, BuyerGuardError):
        return number, value, {}
    try:
        body = ScreeningIn.model_validate(value)
        return number, body.order.to_order(), body.buyer.identifiers()
    except ValidationError as error:
        return number, _not_a_request(error), {}
    except BuyerGuardError as error:
        return number, error, {}


def _not_a_request(error: ValidationError) -> InvalidInputError:
    """What makes a batch line no screening request, in the client's terms (no class names)."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    if not where:  # the line itself is no object
        return InvalidInputError(
            'not a screening request: a line is a JSON object {"order": {...}, "buyer": {...}}'
        )
    problem = "a JSON object" if first["type"] in _NOT_AN_OBJECT else first["msg"]
    return InvalidInputError(f"not a screening request: {where}: {problem}")


class ReasonCodeOut(BaseModel):
    code: str
    message: str
    evidence: dict[str, Any]


class RuleOut(BaseModel):
    line: int | None
    text: str | None


class ScreeningOut(BaseModel):
    screening_id: int
    decision: str
    rule: RuleOut | None
    reasons: list[ReasonCodeOut]
    risk: RiskOut
    policy_version: int
    order_ref: str
    created_at: datetime
    errors: list[str] = Field(default_factory=list, description="Rules that failed to evaluate.")

    @classmethod
    def of(
        cls, screening: LoggedScreening, risk: RiskOut, errors: Sequence[str] = ()
    ) -> ScreeningOut:
        rule = (
            None
            if screening.rule_line is None
            else RuleOut(line=screening.rule_line, text=screening.rule_source)
        )
        return cls(
            screening_id=screening.id,
            decision=screening.action.code,
            rule=rule,
            reasons=[
                ReasonCodeOut(code=r.code, message=r.message, evidence=dict(r.evidence))
                for r in screening.reasons
            ],
            risk=risk,
            policy_version=screening.policy_version,
            order_ref=screening.order.ref,
            created_at=screening.created_at,
            errors=list(errors),
        )


class LoggedRiskOut(BaseModel):
    score: float
    level: str


class ShipToOut(BaseModel):
    country: str
    region: str
    postal_code: str


class OrderOut(BaseModel):
    """An order as logged: shown as it was stored, never held to the input rules again (a row
    stored under other rules must stay listable)."""

    ref: str
    amount: float
    currency: str
    payment_method: str
    ship_to: ShipToOut


class ScreeningLogOut(BaseModel):
    """A logged decision: its risk as recorded (contributions are not kept)."""

    screening_id: int
    decision: str
    rule: RuleOut | None
    reasons: list[ReasonCodeOut]
    risk: LoggedRiskOut
    policy_version: int
    order: OrderOut
    created_at: datetime
    errors: list[str] = Field(default_factory=list, description="Rules that failed to evaluate.")

    @classmethod
    def of(cls, s: LoggedScreening) -> ScreeningLogOut:
        return cls(
            screening_id=s.id,
            decision=s.action.code,
            rule=None if s.rule_line is None else RuleOut(line=s.rule_line, text=s.rule_source),
            reasons=[
                ReasonCodeOut(code=r.code, message=r.message, evidence=dict(r.evidence))
                for r in s.reasons
            ],
            risk=LoggedRiskOut(score=shown(s.risk_score), level=s.risk_level),
            policy_version=s.policy_version,
            order=OrderOut(
                ref=s.order.ref,
                amount=s.order.amount,
                currency=s.order.currency,
                payment_method=s.order.payment_method,
                ship_to=ShipToOut(
                    country=s.order.country, region=s.order.region, postal_code=s.order.postal_code
                ),
            ),
            created_at=s.created_at,
            errors=list(s.errors),
        )

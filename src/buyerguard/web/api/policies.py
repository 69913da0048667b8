"""Your screening policy: read it, save a new version, backtest a draft."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from buyerguard.domain.backtest import BacktestReport, OutcomeCounts
from buyerguard.domain.policies import PolicyWarning
from buyerguard.services import policies
from buyerguard.services.policies import BacktestBudget, PolicyVersion
from buyerguard.web.dependencies import CurrentSeller, UnitOfWorkDep, utc_now
from buyerguard.web.errors import ERROR_RESPONSES
from buyerguard.web.routes import JsonRoute

router = APIRouter(
    prefix="/v1/policy", tags=["policy"], responses=ERROR_RESPONSES, route_class=JsonRoute
)


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    source: Annotated[str, Field(examples=['decline if level == "high"\nship'])]


class RuleOut(BaseModel):
    line: int
    action: str
    condition: str | None


class PolicyWarningOut(BaseModel):
    line: int
    column: int
    code: str = Field(
        description="unreachable_rule, never_matches or duplicate_condition",
        examples=["unreachable_rule"],
    )
    message: str = Field(examples=["line 3 can never fire: the rule on line 2 always matches"])

    @classmethod
    def all_of(cls, warnings: tuple[PolicyWarning, ...]) -> list[PolicyWarningOut]:
        return [cls(**warning.__dict__) for warning in warnings]


WARNINGS_DESCRIPTION = "Rules that can never fire; the policy is valid all the same."


class PolicyOut(BaseModel):
    version: int = Field(description="0 is the default policy of a seller who saved none.")
    is_default: bool
    source: str
    rules: list[RuleOut]
    warnings: list[PolicyWarningOut] = Field(description=WARNINGS_DESCRIPTION)

    @classmethod
    def of(cls, found: PolicyVersion) -> PolicyOut:
        return cls(
            version=found.version,
            is_default=found.is_default,
            source=found.policy.source,
            rules=[
                RuleOut(line=r.line, action=r.action.code, condition=r.condition)
                for r in found.policy.rules
            ],
            warnings=PolicyWarningOut.all_of(found.warnings),
        )


@router.get("", response_model=PolicyOut)
def get_policy(seller: CurrentSeller, uow: UnitOfWorkDep) -> PolicyOut:
    """The policy in force: your newest version, or the default."""
    return PolicyOut.of(policies.get_policy(uow, seller_id=seller.id))


@router.put("", response_model=PolicyOut)
def save_policy(body: PolicyIn, seller: CurrentSeller, uow: UnitOfWorkDep) -> PolicyOut:
    """Validate and save as the next version (422 with line and column when it does not compile);
    rules that can never fire are saved too, and listed in `warnings`."""
    return PolicyOut.of(policies.save_policy(uow, body.source, seller_id=seller.id, now=utc_now()))


class BacktestIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    source: str
    days: Annotated[int | None, Field(ge=1, le=3650, description="Only the last N days.")] = None


class OutcomesOut(BaseModel):
    bad_stopped: int
    bad_shipped: int
    good_declined: int
    good_shipped: int

    @classmethod
    def of(cls, counts: OutcomeCounts) -> OutcomesOut:
        return cls(**counts.__dict__)


class BacktestOut(BaseModel):
    replayed: int = Field(description="Screenings replayed: the newest of the `logged` ones.")
    logged: int = Field(description="Your logged screenings in the period (`days`, or all).")
    partial: bool = Field(description="Not all of them were replayed; `stopped_by` says why.")
    stopped_by: Literal["max_screenings", "time_budget"] | None = Field(
        description="`max_screenings`: older screenings were left out "
        "(`BUYERGUARD_BACKTEST_MAX_SCREENINGS`); `time_budget`: the time ran out "
        "(`BUYERGUARD_BACKTEST_SECONDS`); null when every one was replayed."
    )
    changed: int
    transitions: dict[str, int] = Field(description='e.g. {"ship->decline": 3}')
    actions: dict[str, int]
    draft: OutcomesOut
    recorded: OutcomesOut
    flags: list[str]
    errors: int
    warnings: list[PolicyWarningOut] = Field(description=WARNINGS_DESCRIPTION)

    @classmethod
    def of(cls, report: BacktestReport) -> BacktestOut:
        return cls(
            replayed=report.replayed,
            logged=report.logged,
            partial=report.partial,
            stopped_by=report.stopped_by,
            changed=report.changed,
            transitions=report.transitions,
            actions=report.actions,
            draft=OutcomesOut.of(report.draft),
            recorded=OutcomesOut.of(report.recorded),
            flags=list(report.flags),
            errors=report.errors,
            warnings=PolicyWarningOut.all_of(report.warnings),
        )


@router.post("/backtest", response_model=BacktestOut)
def backtest(
    request: Request, body: BacktestIn, seller: CurrentSeller, uow: UnitOfWorkDep
) -> BacktestOut:
    """Replay a draft on your logged screenings, the newest first: what would change, and how it
    fares on orders whose outcome is known (tagged later: bad; completed: good). Nothing is saved.
    A long replay stops at the server's budget and says so (`partial`)."""
    budget: BacktestBudget = request.app.state.backtest_budget
    report = policies.backtest_policy(
        uow, body.source, seller_id=seller.id, days=body.days, now=utc_now(), budget=budget
    )
    return BacktestOut.of(report)

"""The Deployment System's routing and gates, driven by a fake clock, timer and venue answers."""

from __future__ import annotations

import pytest

from harness.deployment import deployment_session
from harness.operations import OperatorClient
from system.deployment import DeploymentSystem, GateSettings, Version
from system.errors import InvalidInput
from tests.fakes import FakeClock, FakeTimer
from venue.messages import ExecType, ExecutionReport, OrdStatus, RejectReason, Side


class Named:
    """A strategy that asks for one thing per quote, named after its version."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.quotes = 0

    def on_quote(self, symbol, quote, position, open_orders):  # noqa: ANN001, ANN201
        self.quotes += 1
        return [self.name]


class Engine:
    def __init__(self) -> None:
        self.placed = 0

    def execute(self, intent: object) -> str:
        self.placed += 1
        return f"ALU-{self.placed}"

    def open_orders(self, symbol: str) -> list:
        return []


def deployment() -> tuple[DeploymentSystem, FakeClock, FakeTimer, dict[str, Named]]:
    clock = FakeClock()
    timer = FakeTimer(clock)
    built: dict[str, Named] = {}

    def build(params):  # noqa: ANN001, ANN202
        name = params.get("name", "1")
        built[name] = Named(name)
        return built[name]

    d = DeploymentSystem(clock, timer, build)
    d.registry.register(Version("2", {"name": "2"}))
    d.start()
    return d, clock, timer, built


def evaluate(d: DeploymentSystem, engine, n: int) -> list[str]:  # noqa: ANN001
    """``n`` evaluations as the decision loop takes them; the client ids sent."""
    routed = d.attributing(engine)
    return [routed.execute(i) for _ in range(n) for i in d.on_quote("AAA", None, 0, [])]


def answer(d: DeploymentSystem, clock: FakeClock, cl_ord_id: str, after: float, reject: bool) -> None:
    clock.t += after
    d.on_message(
        ExecutionReport(
            1,
            "",
            cl_ord_id,
            None,
            "AAA",
            Side.BUY,
            ExecType.REJECTED if reject else ExecType.NEW,
            OrdStatus.REJECTED if reject else OrdStatus.NEW,
            100,
            1,
            reason=RejectReason.BAD_QUANTITY if reject else None,
        )
    )
    clock.t -= after


def test_canary_takes_its_share_of_the_evaluations_and_sees_every_quote():
    d, _, _, built = deployment()
    d.deploy("2", GateSettings(canary_share=0.1))
    sent = evaluate(d, Engine(), 100)
    owners = [d.owner(c) for c in sent]
    assert owners.count("2") == 10 and owners.count("1") == 90
    assert built["2"].quotes == 100  # warm: it read every quote


def test_a_canary_whose_orders_are_rejected_is_rolled_back_by_the_health_gate():
    d, clock, timer, _ = deployment()
    d.deploy("2", GateSettings(canary_share=1.0, min_orders=5))
    for cl_ord_id in evaluate(d, Engine(), 5):
        answer(d, clock, cl_ord_id, 0.002, reject=True)
    timer.advance(1.0)
    assert d.history[-1].kind == "rolled back" and d.history[-1].reason.startswith("health gate")
    assert d.active == "1" and {d.owner(c) for c in evaluate(d, Engine(), 20)} == {"1"}


def test_a_slow_canary_is_rolled_back_by_the_performance_gate():
    d, clock, timer, _ = deployment()
    d.deploy("2", GateSettings(canary_share=1.0, min_orders=5, max_latency=0.0155))
    for cl_ord_id in evaluate(d, Engine(), 5):
        answer(d, clock, cl_ord_id, 0.030, reject=False)
    timer.advance(1.0)
    assert d.history[-1].reason.startswith("performance gate") and d.active == "1"


def test_a_healthy_canary_is_promoted_at_the_end_of_its_stage_and_can_be_rolled_back_by_hand():
    d, clock, timer, _ = deployment()
    d.deploy("2", GateSettings(canary_share=0.5, canary_seconds=10.0, min_orders=5))
    for cl_ord_id in evaluate(d, Engine(), 20):
        if d.owner(cl_ord_id) == "2":
            answer(d, clock, cl_ord_id, 0.003, reject=False)
    timer.advance(9.0)
    assert d.active == "1" and d.status()["canary"] == "2"
    timer.advance(1.0)
    assert d.history[-1].kind == "promoted" and d.active == "2" and d.previous == "1"
    d.rollback("by hand")
    assert d.active == "1" and d.previous == "2"


def test_a_canary_with_too_few_answers_is_never_promoted():
    d, _, timer, _ = deployment()
    d.deploy("2", GateSettings(canary_seconds=5.0, min_orders=5))
    timer.advance(5.0)
    assert d.history[-1].kind == "rolled back" and d.history[-1].reason.startswith("not measured")
    assert d.active == "1"


def test_switch_is_immediate_and_ends_a_canary():
    d, _, _, _ = deployment()
    d.deploy("2")
    d.switch("2")
    assert d.active == "2" and d.status()["canary"] is None
    assert {d.owner(c) for c in evaluate(d, Engine(), 10)} == {"2"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda d: d.deploy("9"), "unknown version '9' (registered: 1, 2)"),
        (lambda d: d.deploy("1"), "version '1' is already active"),
        (lambda d: d.rollback(), "no previous version to roll back to"),
        (lambda d: d.registry.register(Version("2")), "version '2' is registered already"),
        (lambda d: GateSettings(canary_share=0.0), "canary_share"),
        (lambda d: GateSettings(min_orders=0), "min_orders"),
    ],
)
def test_bad_requests_are_refused_by_name(call, message):
    d, _, _, _ = deployment()
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(d)
    assert d.active == "1"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"version": "9"}', "version"),
        (b'{"version": "2", "mode": "yolo"}', "mode"),
        (b'{"version": "2", "canary_share": "half"}', "canary_share"),
        (b'{"version": "2", "canary_share": 1.5}', "canary_share"),
        (b'{"version": "2", "force": true}', "force"),
        (b'{"version": "2\' OR 1=1 --"}', "version"),
        (b"not json", "body"),
    ],
)
def test_a_bad_deploy_request_is_refused_naming_the_field_and_deploys_nothing(body, field):
    session = deployment_session(seed=3)
    try:
        session.run(5.0)
        answer = OperatorClient(session).call("admin", "POST", "/deploy", body)
        assert answer.status == 400 and answer.body["field"] == field, answer.body
        assert session.system.deployment.history == [] and session.system.deployment.active == "1"
    finally:
        session.close()


def test_the_operator_api_deploys_switches_and_rolls_back_for_the_admin():
    session = deployment_session(seed=3)
    try:
        session.run(5.0)
        client = OperatorClient(session)
        assert client.call("admin", "POST", "/deploy", b'{"version": "2", "mode": "switch"}').status == 200
        assert client.call("viewer", "GET", "/status").body["deployment"]["active"] == "2"
        assert client.call("trader", "POST", "/rollback", b"{}").status == 403
        assert client.call("admin", "POST", "/rollback", b'{"reason": "drill"}').status == 200
        assert client.call("viewer", "GET", "/status").body["deployment"]["active"] == "1"
    finally:
        session.close()

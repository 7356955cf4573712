"""Steps for the simulated exchange as a whole: feed sequencing and recovery, sessions, determinism."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from behave import given, then, when

from harness.feed_recorder import FeedRecorder
from harness.raw_session import RawSession
from simulator.world import Market, MarketConfig
from steps.session import in_session, trading
from venue.messages import (
    ExecType,
    ExecutionReport,
    LogonAck,
    LogonReject,
    NewOrder,
    OrdStatus,
    Side,
)

ALPHA_SECRET = "alpha-secret"


def market(context) -> Market:
    """The scenario's simulated market, built on first use from what the Given steps set."""
    if getattr(context, "market", None) is None:
        config = MarketConfig(
            seed=context.seed,
            symbols=context.market_symbols,
            profile=context.market_profile,
            credentials={"ALPHA": ALPHA_SECRET},
        )
        context.market = Market(config)
        context.add_cleanup(context.market.close)
    return context.market


@given("a simulated {profile:w} market in {count:d} symbols")
@given("a simulated {profile:w} market in {count:d} symbol")
def simulated_market(context, profile, count):
    context.market = None
    context.market_profile = profile
    context.market_symbols = count


@given("a client subscribed to its market data feed")
def feed_client(context):
    context.feed = FeedRecorder(market(context).gateway)


@when("the feed drops {count:d} messages")
def drop_feed(context, count):
    market(context).gateway.drop_feed(count)


def advance(context, seconds: float) -> None:
    m = market(context)
    m.run(m.env.now + seconds)


@when("the market trades for {seconds:d} seconds")
@when("the market trades on for {seconds:d} more seconds")
def market_trades(context, seconds):
    if in_session(context):
        trading(context).run(seconds)
    else:
        advance(context, seconds)


@then("the client has seen a gap in the sequence numbers and recovered from a snapshot")
def gap_seen(context):
    gaps = sum(context.feed.gaps.values())
    recovered = sum(context.feed.recovered.values())
    assert gaps > 0, "the client saw no gap"
    assert recovered == gaps, f"{gaps} gaps but {recovered} snapshot recoveries"


@then("every channel's sequence numbers run 1, 2, 3 and so on without a gap")
def no_gap(context):
    assert context.feed.seqs, "no market data arrived"
    for symbol, seqs in context.feed.seqs.items():
        assert seqs == list(range(1, len(seqs) + 1)), f"{symbol}: sequence broken near {_break(seqs)}"


def _break(seqs: list[int]) -> list[int]:
    for i, seq in enumerate(seqs, start=1):
        if seq != i:
            return seqs[max(0, i - 3) : i + 2]
    return []


@then("once the market closes the client holds the exchange's top of book for every symbol")
def same_top(context):
    m = market(context)
    m.exchange.close()
    advance(context, 1.0)  # let the messages in flight arrive
    for symbol in m.instruments_by_symbol:
        book = m.exchange.book(symbol)
        bid, ask = book.best_bid() or (0, 0), book.best_ask() or (0, 0)
        truth = (bid[0], bid[1], ask[0], ask[1])
        seen = context.feed.top.get(symbol)
        assert seen == truth, f"{symbol}: client {seen}, exchange {truth}"


# --- sessions ----------------------------------------------------------------------------------------


@given("the client account ALPHA with its secret")
def alpha_account(context):
    context.alpha_nonce = 0


def _logon(context, secret: str, cancel_on_disconnect: bool = False) -> RawSession:
    session = RawSession(market(context).gateway)
    context.alpha_nonce += 1
    context.logon = session.logon("ALPHA", secret, context.alpha_nonce, cancel_on_disconnect)
    advance(context, 0.5)
    return session


@when("ALPHA logs on with a wrong secret")
def wrong_secret(context):
    context.session = _logon(context, "not-the-secret")


@given("ALPHA has logged on once")
def logged_on(context):
    context.session = _logon(context, ALPHA_SECRET)
    assert any(isinstance(m, LogonAck) for m in context.session.received), context.session.received


@given("ALPHA has logged on asking for cancel on disconnect")
def logged_on_cod(context):
    context.session = _logon(context, ALPHA_SECRET, cancel_on_disconnect=True)
    assert any(isinstance(m, LogonAck) for m in context.session.received), context.session.received


@when("someone replays ALPHA's logon message on a new connection")
def replay_logon(context):
    context.session = RawSession(market(context).gateway)
    context.session.send_envelope(context.logon)
    advance(context, 0.5)


@then('the logon is refused with reason "{reason}"')
def logon_refused(context, reason):
    refusals = [m for m in context.session.received if isinstance(m, LogonReject)]
    assert refusals, f"logon not refused; received {context.session.received}"
    assert refusals[0].reason.value == reason, f"refused for {refusals[0].reason.value}, expected {reason}"
    assert not any(isinstance(m, LogonAck) for m in context.session.received), "logon was also accepted"


@given("ALPHA has an order resting in the book")
def alpha_resting(context):
    m = market(context)
    symbol = next(iter(m.instruments_by_symbol))
    bid = m.exchange.book(symbol).best_bid()
    instrument = m.instruments_by_symbol[symbol]
    # One tick below the best bid (or the reference) so it rests and does not trade.
    price = (bid[0] if bid else instrument.reference_price) - instrument.tick
    context.session.send(NewOrder("A1", symbol, Side.BUY, instrument.lot, price=price))
    advance(context, 0.5)
    acks = [m for m in context.session.received if isinstance(m, ExecutionReport) and m.cl_ord_id == "A1"]
    assert acks and acks[-1].exec_type is ExecType.NEW, f"order not resting: {acks}"


@when("the exchange drops ALPHA's session")
def drop_session(context):
    dropped = market(context).gateway.disconnect(account="ALPHA")
    assert dropped == 1, f"{dropped} sessions dropped"
    advance(context, 0.5)


@then("ALPHA's resting order is cancelled by the exchange")
def alpha_cancelled(context):
    record = market(context).exchange.records("ALPHA").orders["A1"]
    assert record.status is OrdStatus.CANCELLED, f"order A1 is {record.status}"


# --- determinism ------------------------------------------------------------------------------------


def _journal(seed: int, directory: Path, name: str, hash_seed: int) -> bytes:
    """The journal of a 30 s normal market in 3 symbols, run by the command line in a process of its
    own with its own string-hash seed, so no accident of set or dict order can make runs agree."""
    path = directory / f"{name}.jsonl"
    command = [
        sys.executable,
        "-m",
        "simulator",
        "run",
        "--seed",
        str(seed),
        "--duration",
        "30",
        "--symbols",
        "3",
        "--profile",
        "normal",
        "--journal",
        str(path),
    ]
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
    subprocess.run(command, check=True, capture_output=True, env=env)
    return path.read_bytes()


@when("a normal market in 3 symbols runs for 30 seconds twice with the same seed")
def same_seed(context):
    with tempfile.TemporaryDirectory() as tmp:
        context.journals = [
            _journal(context.seed, Path(tmp), "a", 1),
            _journal(context.seed, Path(tmp), "b", 2),
        ]


@when("a normal market in 3 symbols runs for 30 seconds with two different seeds")
def different_seeds(context):
    with tempfile.TemporaryDirectory() as tmp:
        first = _journal(context.seed, Path(tmp), "a", 1)
        context.journals = [first, _journal(context.seed + 1, Path(tmp), "b", 1)]


@then("the two journals are identical byte for byte")
def identical(context):
    a, b = context.journals
    assert len(a) > 10_000, f"journal suspiciously small: {len(a)} bytes"
    assert a == b, f"journals differ ({len(a)} vs {len(b)} bytes)"


@then("the two journals differ")
def differ(context):
    a, b = context.journals
    assert a != b, "different seeds gave the same journal"

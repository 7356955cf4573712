"""The gateway locks an account out after repeated refused logons, for a while, and says so in its
journal and the account's traffic; sessions already logged on keep trading."""

from __future__ import annotations

import pytest

from harness.raw_session import RawSession
from simulator.gateway import LOCKED_OUT, LOCKOUT_FAILURES, LOCKOUT_SECONDS, LOCKOUT_WINDOW
from simulator.world import Market, MarketConfig
from venue.messages import LogonAck, LogonReject

CREDENTIALS = {"ACME": "acme-secret", "OTHER": "other-secret"}


@pytest.fixture
def market():
    m = Market(MarketConfig(seed=5, symbols=1, profile="calm", credentials=CREDENTIALS))
    m.run(1.0)
    yield m
    m.close()


def logon(market: Market, account: str, secret: str, nonce: int) -> RawSession:
    session = RawSession(market.gateway)
    session.logon(account, secret, nonce)
    market.run(market.env.now + 0.5)
    return session


def answer(session: RawSession) -> object:
    return session.received[-1]


def test_the_fifth_failure_within_the_window_locks_even_the_right_secret_out(market):
    kept = logon(market, "ACME", "acme-secret", 1)
    for nonce in range(2, 2 + LOCKOUT_FAILURES):
        assert isinstance(answer(logon(market, "ACME", "wrong", nonce)), LogonReject)
    traffic = market.gateway.traffic("ACME")
    assert len(traffic.lockouts) == 1 and market.gateway.locked_out("ACME")
    refused = logon(market, "ACME", "acme-secret", 100)
    assert isinstance(answer(refused), LogonReject) and "locked out" in answer(refused).text
    assert traffic.refused[-1] == LOCKED_OUT
    assert kept.disconnected is None and market.gateway.live_sessions("ACME") == 1
    assert isinstance(answer(logon(market, "OTHER", "other-secret", 1)), LogonAck)  # per account
    market.run(market.env.now + LOCKOUT_SECONDS)
    assert isinstance(answer(logon(market, "ACME", "acme-secret", 101)), LogonAck)


def test_failures_spread_wider_than_the_window_do_not_lock(market):
    gap = LOCKOUT_WINDOW / (LOCKOUT_FAILURES - 1) + 1.0
    for nonce in range(1, 1 + LOCKOUT_FAILURES):
        logon(market, "ACME", "wrong", nonce)
        market.run(market.env.now + gap)
    assert market.gateway.traffic("ACME").lockouts == []
    assert isinstance(answer(logon(market, "ACME", "acme-secret", 50)), LogonAck)


def test_the_lockout_is_journaled(tmp_path):
    journal = tmp_path / "journal.jsonl"
    m = Market(MarketConfig(seed=5, symbols=1, profile="calm", credentials=CREDENTIALS, journal=journal))
    for nonce in range(LOCKOUT_FAILURES):
        logon(m, "ACME", "wrong", nonce)
    m.close()
    assert '"lockout"' in journal.read_text()

"""Driving the system as its operators do: start it from a configuration profile, attack its venue
sessions, call its operator API, pull the kill switch; and the outside evidence each of those leaves
(the exchange's records, the gateway's traffic, the venue tap, the system's database and log).

Secrets are handed to the system as a process environment would (a mapping of variable names), and
the evidence of leaks is looked for in what an operator could read: log lines and report attachments.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.raw_session import RawSession
from harness.session import ACCOUNT, SECRET, SessionSpec, TradingSession
from simulator.world import Market, MarketConfig
from system.errors import InvalidInput
from system.profiles import Profile, load_profile, profile_path
from venue.messages import Logon, LogonAck

OPERATOR_KEY = "operator-master-key-for-the-simulated-session"  # what the harness's environment holds


def environment(venue_secret: str = SECRET, operator_key: str = OPERATOR_KEY) -> dict[str, str]:
    """The process environment the system is started in: the real one plus its two secrets."""
    return {**os.environ, "ALLUSE_VENUE_SECRET": venue_secret, "ALLUSE_OPERATOR_KEY": operator_key}


def profile_session(
    name: str,
    seed: int,
    env: dict[str, str],
    overrides: list[Any] | tuple = (),
    symbols: int = 3,
    market: str = "normal",
) -> tuple[Profile, TradingSession]:
    """A simulated session whose system is configured from profile ``name`` (with ``overrides``) and
    logs on with the secret the profile reads from ``env``."""
    profile = load_profile(name, list(overrides), env)
    settings = {k: v for k, v in dataclasses.asdict(profile.settings).items()}
    session = TradingSession(
        SessionSpec(
            seed=seed,
            symbols=symbols,
            profile=market,
            settings=settings,
            secret=profile.venue_secret.reveal(),
        )
    )
    return profile, session


# The broken production profiles of the configuration scenarios: the layer written over the profile.
BAD_LAYERS: dict[str, dict[str, Any]] = {
    "a maximum order quantity written as text": {"risk": {"max_order_qty": "five thousand"}},
    "an unknown key": {"risk": {"max_ordr_qty": 5000}},
    "a negative loss limit": {"risk": {"max_loss": -100000.0}},
}
MISSING_SECRET = "the venue secret missing from environment"


@dataclass
class RefusedStart:
    """What became of a start from a bad profile: the refusal, and the exchange's view meanwhile."""

    culprit: str  # the file that holds the bad value (or names the missing secret)
    error: InvalidInput | None
    orders_at_exchange: int
    logons: int


def start_from_bad_profile(problem: str, seed: int, folder: Path, run_for: float = 10.0) -> RefusedStart:
    """Write the override layer for ``problem`` into ``folder``, try to start the system from the
    production profile with it, and let the market run ``run_for`` seconds either way."""
    env = environment()
    overrides: list[Path] = []
    if problem == MISSING_SECRET:
        env.pop("ALLUSE_VENUE_SECRET")
    else:
        if problem not in BAD_LAYERS:
            raise KeyError(
                f"no bad profile for {problem!r} (known: {', '.join([*BAD_LAYERS, MISSING_SECRET])})"
            )
        path = folder / "production-override.yaml"
        path.write_text(yaml.safe_dump(BAD_LAYERS[problem]))
        overrides.append(path)
    market = Market(MarketConfig(seed=seed, symbols=1, profile="calm", credentials={ACCOUNT: SECRET}))
    error: InvalidInput | None = None
    session = None
    try:
        profile = load_profile("production", overrides, env)
        settings = dataclasses.asdict(profile.settings)
        session = TradingSession(SessionSpec(seed=seed, symbols=1, profile="calm", settings=settings))
    except InvalidInput as exc:
        error = exc
    try:
        if session is None:
            market.run(run_for)
            records, traffic = market.exchange.records(ACCOUNT), market.gateway.traffic(ACCOUNT)
        else:
            session.run(run_for)
            records, traffic = (
                session.market.exchange.records(ACCOUNT),
                session.market.gateway.traffic(ACCOUNT),
            )
    finally:
        if session is not None:
            session.close()
        market.close()
    culprit = str(overrides[-1]) if overrides else str(profile_path("production"))
    return RefusedStart(culprit, error, len(records.orders), traffic.logons)


def leaks(secrets: list[str], texts: list[str]) -> list[str]:
    """The texts (cut short) that contain any of ``secrets``."""
    return [text[:120] for text in texts if any(secret and secret in text for secret in secrets)]


def attachments(evidence_dict: dict[str, Any], profile: Profile) -> list[str]:
    """What the report attaches for a scenario: its figures and tables, and the effective profile."""
    return [json.dumps(evidence_dict, default=str), json.dumps(profile.describe(), default=str)]


# --- attacks on the venue sessions --------------------------------------------------------------------

WRONG_SECRET = "not-the-account-secret"
ATTEMPTS = (
    "a logon with the wrong secret",
    "a replay of the system's earlier logon",
    "a sixth logon with the wrong secret in a minute",
)
# The reasons the gateway must record for the attacker's logons, in order.
EXPECTED_REFUSALS = {
    ATTEMPTS[0]: ["bad_credentials"],
    ATTEMPTS[1]: ["stale_nonce"],
    ATTEMPTS[2]: ["bad_credentials"] * 5 + ["locked_out"],
}


class LogonWiretap:
    """Copies every logon the gateway receives, as an eavesdropper on the order-entry link would."""

    def __init__(self, gateway: Any) -> None:  # simulator.gateway.Gateway
        self.logons: list[Logon] = []
        receive = gateway._logon

        def overheard(session: Any, logon: Logon) -> None:
            self.logons.append(logon)
            receive(session, logon)

        gateway._logon = overheard  # on this gateway only: the wire, not the class


@dataclass
class Attack:
    attempt: str
    answers: list[str]  # what the gateway answered each of the attacker's logons
    refused_reasons: list[str]  # the reasons the gateway recorded for them (its traffic)
    lockouts: int  # lockouts of the account the gateway recorded during the attack
    orders_before: int  # the account's orders at the exchange when the attack started
    orders_after: int  # ... and some time after it
    live_sessions: int  # the system's live sessions at the gateway after the attack
    accepted: int  # the attacker's logons the gateway accepted


def attack_logon(session: TradingSession, wiretap: LogonWiretap, attempt: str, then: float = 30.0) -> Attack:
    """Make ``attempt`` on a fresh order-entry connection to the session's exchange, then let the
    session trade ``then`` more seconds; the gateway's own records say what happened."""
    gateway = session.market.gateway
    traffic = gateway.traffic(ACCOUNT)
    refused, lockouts = len(traffic.refused), len(traffic.lockouts)
    orders_before = len(session.market.exchange.records(ACCOUNT).orders)
    attackers: list[RawSession] = []
    if attempt == ATTEMPTS[0]:
        attackers.append(RawSession(gateway))
        attackers[-1].logon(ACCOUNT, WRONG_SECRET, nonce=10**12)
    elif attempt == ATTEMPTS[1]:
        assert wiretap.logons, "the system sent no logon to replay"
        attackers.append(RawSession(gateway))
        attackers[-1].send(wiretap.logons[0])
    elif attempt == ATTEMPTS[2]:
        for i in range(6):  # one every 5 s: six within a minute
            attackers.append(RawSession(gateway))
            attackers[-1].logon(ACCOUNT, WRONG_SECRET, nonce=10**12 + i)
            session.run(5.0)
    else:
        raise KeyError(f"no attack called {attempt!r} (known: {', '.join(ATTEMPTS)})")
    session.run(1.0)
    answers = [type(a.received[-1]).__name__ if a.received else "no answer" for a in attackers]
    session.run(then)
    return Attack(
        attempt,
        answers,
        list(traffic.refused[refused:]),
        len(traffic.lockouts) - lockouts,
        orders_before,
        len(session.market.exchange.records(ACCOUNT).orders),
        gateway.live_sessions(ACCOUNT),
        sum(1 for a in attackers for m in a.received if type(m) is LogonAck),
    )

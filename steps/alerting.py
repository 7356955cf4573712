"""Steps for the Alerting System: a condition brought about through the simulator, the alerts set
beside when it held, and the system's responses seen at the venue."""

from __future__ import annotations

from behave import given, then, when

from harness import alerting as alerts

# How long the production-profile scenario holds acknowledgements up, and from when.
SLOW_ACKS = {"at": 30.0, "fault": "slow_acks", "duration": 30.0}


@given("the exchange simulator brings about {condition}")
def bring_about(context, condition):
    context.alert_condition_text = condition
    context.alert_condition = alerts.condition_named(condition)


@when("the session trades for {seconds:d} simulated seconds with its alerts watched")
def trade_watched(context, seconds):
    condition = getattr(context, "alert_condition", None) or alerts.Condition()
    text = getattr(context, "alert_condition_text", "no condition")
    watch = alerts.watched_session(
        context.seed, context.market_symbols, context.market_profile, condition, text
    )
    context.trading = watch.session
    context.add_cleanup(watch.session.close)
    context.alert_watch = watch
    watch.trade(seconds)
    context.evidence.table(
        "alerts",
        [
            {"time": e.time, "rule": e.rule, "state": e.state, "severity": e.severity.value, "value": e.value}
            for e in watch.alerting.events
        ],
    )


@then("the {rule} alert fires with severity {severity:w} once for each time the condition held")
def fires_once_per_episode(context, rule, severity):
    watch = context.alert_watch
    name = alerts.rule_named(rule)
    episodes = watch.episodes(name, context.alert_condition)
    fired = watch.events(name, "firing")
    hold, reach = alerts.HOLDS[name], watch.reach(name)
    answered = [watch.episode_of(name, episodes, e.time) for e in fired]
    for event in fired:
        assert event.severity.value == severity, f"{rule} fired with severity {event.severity.value}"
    rows = [
        {"condition from": start, "to": end, "firings": answered.count(i)}
        for i, (start, end) in enumerate(episodes)
    ]
    misplaced = answered.count(None)
    repeats = sum(max(0, r["firings"] - 1) for r in rows)
    context.evidence.table(f"{rule}: condition and firings", rows)
    context.alert_rule, context.alert_episodes = name, episodes
    missed = sum(1 for r in rows if r["firings"] == 0)
    fig = context.evidence.figure(
        f"{rule}: times the condition held without the alert firing",
        missed,
        "episodes",
        method=f"spans of the condition as the simulator made it, each expected to fire the alert after its "
        f"hold ({hold:g} s) and within {reach:g} s of its end",
        samples=len(episodes),
        least=1,
        at_most=0,
    )
    context.evidence.require(fig)
    fig = context.evidence.figure(
        f"{rule}: firings outside the condition or repeated within one",
        misplaced + repeats,
        "firings",
        method="firing events before the condition's hold had passed or after its reach, and every "
        "firing after the first that answers the same span of the condition",
        samples=len(fired),
        least=1,
        at_most=0,
    )
    context.evidence.require(fig)


@then("it resolves once the condition has ended")
def resolves(context):
    watch, name, episodes = context.alert_watch, context.alert_rule, context.alert_episodes
    reach = watch.reach(name)
    firings = watch.events(name, "firing")
    late = []
    for i, (_, end) in enumerate(episodes):
        if end + reach >= watch.session.now:
            continue  # the session ended before the rule could have seen the condition's end
        answering = [e.time for e in firings if watch.episode_of(name, episodes, e.time) == i]
        if not answering:
            continue  # a condition that fired nothing is counted by the firing step
        resolved = [e.time for e in watch.events(name, "resolved") if e.time > answering[-1]]
        late.append(max(0.0, min(resolved) - end) if resolved else watch.session.now - end)
    fig = context.evidence.figure(
        f"{name}: longest time from the condition's end to the alert's resolution",
        max(late, default=0.0),
        "s",
        method="simulated seconds from each end of the condition to the resolution of the firing that "
        "answered it (0 when the response repaired it sooner); the session's remaining time if never",
        samples=len(late),
        least=1,
        at_most=reach,
    )
    context.evidence.require(fig)


@then("none of the 6 alert rules fired")
def none_fired(context):
    watch = context.alert_watch
    alerting = watch.alerting
    context.evidence.table(
        "rules",
        [
            {
                "rule": r.name,
                "threshold": r.threshold,
                "hold": r.hold,
                "last value": r.value,
                "fired": r.fired,
            }
            for r in alerting.rules
        ],
    )
    assert len(alerting.rules) == 6, f"{len(alerting.rules)} alert rules, the plan has 6"
    fig = context.evidence.figure(
        "alerts fired on a healthy session",
        sum(r.fired for r in alerting.rules),
        "alerts",
        method="firing events of the six rules, evaluated once a simulated second on the monitoring "
        "framework's collection (the evaluations are the samples)",
        samples=alerting.evaluations,
        least=60,
        at_most=0,
    )
    context.evidence.require(fig)


@then("when the {rule} alert fires the system {response}")
def responds(context, rule, response):
    watch = context.alert_watch
    name = alerts.rule_named(rule)
    assert watch.events(name, "firing"), f"the {rule} alert never fired, so nothing was responded to"
    seen = alerts.response_of(watch, name, context.alert_condition, response)
    context.evidence.table(f"{rule}: response", seen.rows)
    for measured in seen.figures:
        fig = context.evidence.figure(
            measured.name,
            measured.value,
            measured.unit,
            method=measured.method,
            samples=measured.samples,
            least=measured.least,
            at_least=measured.at_least,
            at_most=measured.at_most,
        )
        context.evidence.require(fig)


# --- thresholds from the production profile ---------------------------------------------------------


@given("the production profile sets the order latency alert at {ms:g} ms held for {hold:g} seconds")
def production_threshold(context, ms, hold):
    profile = alerts.production_profile()
    shipped = profile.settings.alerts
    assert shipped.get("order_latency_p99_ms") == ms, f"the production profile's alerts: {shipped}"
    assert shipped.get("order_latency_for") == hold, f"the production profile's alerts: {shipped}"
    context.alert_profile = profile


@given("the exchange simulator holds every acknowledgement up by {ms:g} ms for 30 seconds")
def slow_acknowledgements(context, ms):
    context.alert_faults = [{**SLOW_ACKS, "extra": ms / 1000}]


@when("a session configured from that profile trades for {seconds:d} simulated seconds")
def profile_session_trades(context, seconds):
    _run_profile(context, context.alert_profile, seconds)


@when(
    "the profile's order latency threshold is raised to {ms:g} ms and the same session trades "
    "for {seconds:d} simulated seconds"
)
def raised_threshold(context, ms, seconds):
    _run_profile(context, alerts.production_profile(ms), seconds)


def _run_profile(context, profile, seconds):
    watch = alerts.production_session(context.seed, profile, context.alert_faults)
    context.add_cleanup(watch.session.close)
    context.trading = watch.session
    context.alert_watch = watch
    watch.trade(seconds)
    start, end = SLOW_ACKS["at"], SLOW_ACKS["at"] + SLOW_ACKS["duration"]
    latencies = sorted(
        o.answered - o.trigger
        for o in watch.session.tap.orders.values()
        if o.answered is not None and start + 1 <= o.trigger < end
    )
    threshold = profile.settings.alerts["order_latency_p99_ms"]
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000 if latencies else 0.0
    context.alert_tap_p99 = context.evidence.figure(
        f"decision-to-ack p99 at the venue tap while acks were held up (threshold {threshold:g} ms)",
        p99,
        "ms",
        method="decision to the venue's first answer of every new order sent while the exchange held "
        "acknowledgements up, after its first second; nearest rank",
        samples=len(latencies),
        least=20,
    )


@then("the order latency alert fires")
def latency_fires(context):
    _latency_firings(context, at_least=1)
    _tap_agrees(context, above=True)


@then("the order latency alert does not fire")
def latency_silent(context):
    _latency_firings(context, at_most=0)
    _tap_agrees(context, above=False)


def _tap_agrees(context, above):
    """The latency measured at the venue tap lies on the side of the threshold the alert says."""
    measured = context.alert_tap_p99
    context.evidence.require(measured)  # enough acknowledgements to judge
    threshold = context.alert_watch.alerting.rule("order_latency").threshold
    side = "above" if above else "at or below"
    assert (measured.value > threshold) == above, (
        f"the tap's p99 {measured.value:.1f} ms is not {side} the {threshold:g} ms threshold"
    )


def _latency_firings(context, at_least=None, at_most=None):
    watch = context.alert_watch
    threshold = watch.alerting.rule("order_latency").threshold
    fig = context.evidence.figure(
        f"order latency alerts fired at a threshold of {threshold:g} ms",
        len(watch.events("order_latency", "firing")),
        "alerts",
        method="firing events of the order latency rule, evaluated once a simulated second",
        samples=watch.alerting.evaluations,
        least=30,
        at_least=at_least,
        at_most=at_most,
    )
    context.evidence.require(fig)

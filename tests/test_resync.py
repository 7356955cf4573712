"""A snapshot request lost in a gateway crash is asked again, so the market data recovers."""

from __future__ import annotations

from harness.session import SessionSpec, TradingSession


def test_market_data_recovers_when_its_snapshot_request_is_lost():
    session = TradingSession(SessionSpec(seed=11, symbols=2))
    try:
        session.run(10)
        md = session.system.market_data
        session.market.injector.inject("drop_feed", count=5)
        assert session.run_until(lambda: any(md.recovering(s) for s in md.symbols), limit=5, step=0.0001)
        # The request is on its way to the gateway: the gateway goes down before it gets there.
        session.market.injector.inject("crash", duration=3)
        session.run(30)
        assert not any(md.recovering(symbol) for symbol in md.symbols), "a symbol never got its snapshot"
        assert md.recoveries == md.gaps > 0
    finally:
        session.close()

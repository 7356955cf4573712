"""The ALL-USE market integration system, assembled: every component built, wired and registered
with the orchestrator in dependency order.

This is the one place that knows how the components fit together. It takes a venue, a clock, a
timer and settings, so the same assembly runs against the simulated exchange or a real venue.
"""

from __future__ import annotations

from collections.abc import Callable

from system.alerting import AlertingSystem
from system.analytics import RealtimeAnalyticsEngine
from system.bus import DataFlowManager
from system.cache import MarketDataEnhancer
from system.component import Component
from system.database import OperationsDatabase
from system.decisions import DecisionLoop
from system.deployment import DeploymentSystem
from system.emergency import KillSwitch
from system.health import HealthCheckSystem
from system.ledger import PaperTradingSystem
from system.logs import JsonLog
from system.marketdata import MarketDataSystem
from system.memory import MemoryManager
from system.monitoring import AdvancedMonitoringFramework
from system.orchestrator import ComponentOrchestrator
from system.orders import TradingExecutionEngine
from system.perf import PerformanceAnalyzer
from system.recovery import ErrorRecoverySystem
from system.risk import RiskLimits, RiskManagementSystem
from system.sessions import TradingSystemOptimizer
from system.settings import SystemSettings
from system.strategy import make_strategy
from venue.clock import Clock, Timer
from venue.messages import MarketData
from venue.transport import FeedSubscription, Venue

MEMORY_SAMPLE_INTERVAL = 1.0  # seconds of clock time between samples of the process's memory
SNAPSHOT_RETRY = {"attempts": 10, "base_delay": 0.5, "max_delay": 4.0}  # a snapshot lost is asked again
DECISION_LOG_SIZE = 50_000  # the most recent decisions kept for audit; older ones are dropped
MONITORING_INTERVAL = 1.0  # seconds of clock time between the monitoring framework's collections
PERSIST_INTERVAL = 1.0  # seconds of clock time between writes of orders and positions to the database


class TradingSystem:
    def __init__(
        self,
        venue: Venue,
        clock: Clock,
        timer: Timer,
        symbols: list[str],
        secret: str,
        settings: SystemSettings | None = None,
    ) -> None:
        s = settings or SystemSettings()
        self.settings = s
        self.symbols = list(symbols)
        self._venue = venue
        self._clock = clock
        self._timer = timer
        self._feed: FeedSubscription | None = None

        # The system's structured log; it redacts the venue secret wherever a line would carry it.
        self.log = JsonLog(clock, secrets=[secret])
        self.bus = DataFlowManager()
        self.memory = MemoryManager()
        self.perf = PerformanceAnalyzer()
        self.recovery = ErrorRecoverySystem(clock, timer)
        self.market_data = MarketDataSystem(
            self.symbols,
            clock,
            request_snapshot=self._resync,
            bus=self.bus,
            stale_after=s.stale_after,
            depth_levels=s.depth_levels,
            recovery=self.recovery,
        )
        # The market data path, bound once: one call per update (instrument_market_data may wrap it).
        self._handle_market_data: Callable[[MarketData], None] = self.market_data.on_market_data
        self.cache = MarketDataEnhancer(self.market_data, clock)
        self.ledger = PaperTradingSystem(s.ledger_path)
        self.risk = RiskManagementSystem(RiskLimits.from_dict(s.risk), clock, reference_price=self._reference)
        self.engine = TradingExecutionEngine(
            clock,
            send=lambda message: self.optimizer.submit(message),
            risk=self.risk,
            ledger=self.ledger,
            perf=self.perf,
            carries=lambda session: self.optimizer.carries(session),
            sees=self._sees,
        )
        self.optimizer = TradingSystemOptimizer(
            venue,
            s.account,
            secret,
            clock,
            timer,
            on_message=self._venue_message,
            on_ready=self._session_ready,
            size=s.pool_size,
            heartbeat_interval=s.heartbeat_interval,
            cancel_on_disconnect=s.cancel_on_disconnect,
            last_exec_seq=self.engine.last_exec_seq,
            recovery=self.recovery,
        )
        # Orders, positions, audit events and API keys, in the ledger's database file.
        self.database = OperationsDatabase(
            s.ledger_path,
            clock,
            timer,
            order=self.engine.order,
            held=self.engine.held,
            positions=self.ledger.positions,
            interval=PERSIST_INTERVAL,
        )
        self.engine.archive_to(self.database.archive)
        self.kill_switch = KillSwitch(self.risk, self.engine, clock, timer, self.log)
        # The decision loop asks the deployment system, which asks the active version's strategy (or,
        # in a canary stage, the new version's for a share of the evaluations).
        self.deployment = DeploymentSystem(
            clock,
            timer,
            build=lambda params: make_strategy(
                s.strategy,
                {**s.strategy_params, **params},
                self.symbols,
                clock,
                quotes=lambda symbol: self.cache.quote(symbol),
            ),
        )
        self.strategy = self.deployment
        self.decisions = DecisionLoop(
            clock,
            self.market_data,
            self.cache,
            self.strategy,
            self.deployment.attributing(self.engine),
            self.ledger,
            self.risk,
            self.perf,
            log=self.memory.buffer("decisions", DECISION_LOG_SIZE),
            mark_interval=s.mark_interval,
        )
        self.health = HealthCheckSystem(clock, timer, interval=s.health_interval)
        self.monitoring = AdvancedMonitoringFramework(
            clock,
            timer,
            interval=MONITORING_INTERVAL,
            symbols=self.symbols,
            components=lambda: self.components,
            market_data=self.market_data,
            ledger=self.ledger,
            engine=self.engine,
            bus=self.bus,
            perf=self.perf,
            decision_log=self.decisions.log,
        )
        self.analytics = RealtimeAnalyticsEngine(self.monitoring, clock, timer)
        # The six alert rules read the monitoring framework; their responses act on the components.
        self.alerting = AlertingSystem(
            self.monitoring,
            clock,
            timer,
            s.alerts,
            risk=self.risk,
            pause=self.decisions.stop,
            resume=self.decisions.start,
            reconnect=self._reconnect_pool,
            resync=self._request_snapshot,
            cancel_all=self.engine.cancel_all,
        )

        self.orchestrator = ComponentOrchestrator(clock, timer, supervise_interval=s.supervise_interval)
        wiring: list[tuple[Component, tuple[str, ...]]] = [
            (self.bus, ()),
            (self.memory, ()),
            (self.perf, ()),
            (self.recovery, ()),
            (self.market_data, ("data_flow_manager",)),
            (self.cache, ("market_data_system",)),
            (self.ledger, ()),
            (self.risk, ("market_data_enhancer", "paper_trading_system")),
            (self.engine, ("risk_management_system", "paper_trading_system")),
            (self.optimizer, ("trading_execution_engine",)),
            (self.database, ("trading_execution_engine", "paper_trading_system")),
            (self.deployment, ("trading_execution_engine",)),
            (
                self.decisions,
                (
                    "deployment_system",
                    "market_data_enhancer",
                    "trading_execution_engine",
                    "risk_management_system",
                    "performance_analyzer",
                ),
            ),
        ]
        for component, depends_on in wiring:
            self.orchestrator.register(component, depends_on)
            self.health.watch(component)
        self.orchestrator.register(self.health, tuple(c.name for c, _ in wiring))
        # Monitoring reads every component, so it starts after them all and stops before them.
        self.orchestrator.register(self.monitoring, (self.health.name,))
        self.orchestrator.register(self.analytics, (self.monitoring.name,))
        self.orchestrator.register(self.alerting, (self.monitoring.name,))
        self.health.watch(self.monitoring)
        self.health.watch(self.analytics)
        self.health.watch(self.alerting)

    @property
    def components(self) -> list[Component]:
        return self.orchestrator.components()

    def start(self) -> None:
        for symbol in self.symbols:
            self.bus.subscribe(f"md.{symbol}", self.decisions.on_update, consumer="decision_loop")
        self.orchestrator.start()
        self._feed = self._venue.subscribe(self._on_market_data)
        self._sample_memory()
        s = self.settings
        self.log.info(
            "trading_system",
            "started",
            account=s.account,
            symbols=self.symbols,
            pool_size=s.pool_size,
            ledger=s.ledger_path,
            limits=vars(self.risk.limits),
        )

    def stop(self) -> None:
        if self._feed is not None:
            self._feed.close()
            self._feed = None
        self.orchestrator.stop()
        self.log.info("trading_system", "stopped")

    def _venue_message(self, body: object) -> None:
        self.engine.on_message(body)
        self.database.touch(body)
        self.deployment.on_message(body)

    def _session_ready(self) -> None:
        self.log.info(
            "trading_system_optimizer",
            "order-entry session logged on",
            account=self.settings.account,
            live_sessions=self.optimizer.live_sessions(),
        )
        self.engine.on_session_ready()

    def instrument_market_data(
        self, wrap: Callable[[Callable[[MarketData], None]], Callable[[MarketData], None]]
    ) -> None:
        """Route every market data update through ``wrap(handler)``, where ``handler`` is the market
        data system's processing of one update (validation, book, bus publication, without the
        decisions taken afterwards). The seam for profilers and for whoever certifies the path's
        latency: it times the path from outside, while the system itself never reads a wall clock."""
        self._handle_market_data = wrap(self._handle_market_data)

    def _on_market_data(self, message: MarketData) -> None:
        self._handle_market_data(message)
        self.decisions.drain()

    def _sample_memory(self) -> None:
        if self.memory.running:
            self.memory.sample(self._clock.now())
            self._timer.call_later(MEMORY_SAMPLE_INTERVAL, self._sample_memory)

    def _resync(self, symbol: str) -> None:
        """Ask for a snapshot of ``symbol``, and again with backoff while it has not arrived: a
        request or its answer can be lost with the feed (a gateway crash, say)."""

        def until_recovered() -> bool:
            if not self.market_data.recovering(symbol):
                return True
            self._request_snapshot(symbol)
            return False

        self.recovery.retry(until_recovered, **SNAPSHOT_RETRY)

    def _reconnect_pool(self) -> None:
        """Log every session of the pool on again now, without waiting out the reconnect backoff. A
        pool stopped on purpose (by the orchestrator or an operator) is left stopped."""
        if self.optimizer.running:
            self.optimizer.stop()
            self.optimizer.start()

    def _sees(self, symbol: str) -> bool:
        """Whether the system sees ``symbol``'s market now: its feed is fresh and its book whole."""
        return not (self.market_data.is_stale(symbol) or self.market_data.recovering(symbol))

    def _request_snapshot(self, symbol: str) -> None:
        if self._feed is not None:
            self._feed.request_snapshot(symbol)

    def _reference(self, symbol: str) -> int | None:
        quote = self.cache.quote(symbol)
        return None if quote is None else int(quote.mid)

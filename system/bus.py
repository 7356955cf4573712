"""The internal message bus: topics, per-topic sequence numbers and synchronous in-order delivery.

Components publish to a topic and every subscriber of that topic is called back at once, in
subscription order, with ``(seq, message)``. The bus keeps the books that prove delivery was
complete and ordered (published, delivered, dropped, duplicated, out of order), so reliability is
measured, not assumed. A consumer that raises is counted as a drop for that message and the
publisher carries on: one bad consumer must never break the producer or the other consumers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from system.component import Health, HealthState, Lifecycle

Callback = Callable[[int, object], None]

# A drop older than this many publishes no longer degrades health: the bus has recovered.
_DROP_MEMORY = 1000
_MAX_ERRORS = 20


class _Cursor:
    """Last seq handed to one consumer on one topic; shared if a consumer subscribes twice."""

    __slots__ = ("last",)

    def __init__(self, last: int) -> None:
        self.last = last


class _Topic:
    """One topic's subscribers and numbering; slots because publish touches it on every message."""

    __slots__ = ("name", "seq", "subscribers")

    def __init__(self, name: str) -> None:
        self.name = name
        self.seq = 0  # also the topic's published count: every publish takes exactly one number
        # (consumer, callback, cursor) in subscription order
        self.subscribers: list[tuple[str, Callback, _Cursor]] = []


class DataFlowManager(Lifecycle):
    """Topic-based synchronous bus with delivery accounting."""

    name = "data_flow_manager"

    def __init__(self) -> None:
        super().__init__()
        self._topics: dict[str, _Topic] = {}
        self.published = 0
        self.delivered = 0  # deliveries that were in order and not duplicates
        self.dropped = 0
        self.duplicated = 0
        self.out_of_order = 0
        self.expected = 0
        self.dropped_by_consumer: dict[str, int] = {}
        self.errors: deque[str] = deque(maxlen=_MAX_ERRORS)
        self._cursors: dict[tuple[str, str], _Cursor] = {}
        self._last_drop_at = 0  # value of ``published`` at the last drop; 0 means never

    # --- wiring ---------------------------------------------------------------------------------

    def subscribe(self, topic: str, callback: Callback, consumer: str) -> None:
        """Deliver every later message on ``topic`` to ``callback(seq, message)``."""
        entry = self._topics.get(topic)
        if entry is None:
            entry = self._topics[topic] = _Topic(topic)
        cursor = self._cursors.get((topic, consumer))
        if cursor is None:
            # A late subscriber's first delivery (the next seq) is in order for it.
            cursor = self._cursors[(topic, consumer)] = _Cursor(entry.seq)
        entry.subscribers.append((consumer, callback, cursor))

    def topics(self) -> list[str]:
        return list(self._topics)

    def published_on(self, topic: str) -> int:
        entry = self._topics.get(topic)
        return entry.seq if entry is not None else 0

    # --- data path ------------------------------------------------------------------------------

    def publish(self, topic: str, message: object) -> int:
        """Number ``message`` on ``topic``, deliver it to every subscriber, and return its seq."""
        entry = self._topics.get(topic)
        if entry is None:
            entry = self._topics[topic] = _Topic(topic)
        seq = entry.seq = entry.seq + 1
        self.published += 1
        subscribers = entry.subscribers
        if not subscribers:
            return seq
        count = len(subscribers)
        self.expected += count
        if not self.running:
            # Nobody is listening while the bus is stopped: account for the loss rather than hide it.
            self.dropped += count
            self._last_drop_at = self.published
            for consumer, _, cursor in subscribers:
                self.dropped_by_consumer[consumer] = self.dropped_by_consumer.get(consumer, 0) + 1
                cursor.last = seq
            return seq
        for consumer, callback, cursor in subscribers:
            last = cursor.last
            # Judged and recorded before the call, so a consumer that publishes re-entrantly sees its
            # own inner delivery in order, and a dropped seq is not counted a second time as a skip.
            if seq > last:
                cursor.last = seq
            try:
                callback(seq, message)
            except Exception as exc:  # a consumer's failure must never reach the publisher
                self.dropped += 1
                self._last_drop_at = self.published
                self.dropped_by_consumer[consumer] = self.dropped_by_consumer.get(consumer, 0) + 1
                self.errors.append(f"{topic} seq {seq} -> {consumer}: {type(exc).__name__}: {exc}")
                continue
            if seq == last + 1:
                self.delivered += 1
            elif seq == last:
                self.duplicated += 1
            else:
                # A skip ahead or a late older message, e.g. behind a re-entrant publish.
                self.out_of_order += 1
        return seq

    # --- observations ---------------------------------------------------------------------------

    def reliability(self) -> float:
        """Share of expected deliveries that arrived in order; 1.0 when nothing was expected."""
        if self.expected == 0:
            return 1.0
        return self.delivered / self.expected

    def health(self) -> Health:
        stopped = self._stopped_health()
        if stopped is not None:
            return stopped
        if self.dropped and self.published - self._last_drop_at < _DROP_MEMORY:
            last = self.errors[-1] if self.errors else "while stopped"
            return Health(HealthState.DEGRADED, f"{self.dropped} deliveries dropped; last: {last}")
        return Health(HealthState.HEALTHY)

    def metrics(self) -> dict[str, float]:
        n = self.name
        return {
            f"{n}.published": float(self.published),
            f"{n}.delivered": float(self.delivered),
            f"{n}.dropped": float(self.dropped),
            f"{n}.duplicated": float(self.duplicated),
            f"{n}.out_of_order": float(self.out_of_order),
            f"{n}.topics": float(len(self._topics)),
            f"{n}.reliability": self.reliability(),
        }

    def validate(self) -> list[str]:
        problems: list[str] = []
        accounted = self.delivered + self.dropped + self.duplicated + self.out_of_order
        if accounted != self.expected:
            problems.append(
                f"deliveries do not add up: delivered {self.delivered} + dropped {self.dropped} + "
                f"duplicated {self.duplicated} + out of order {self.out_of_order} != expected {self.expected}"
            )
        total = sum(t.seq for t in self._topics.values())
        if total != self.published:
            problems.append(f"per-topic published {total} != total published {self.published}")
        if sum(self.dropped_by_consumer.values()) != self.dropped:
            problems.append("dropped per consumer does not add up to dropped")
        if not 0.0 <= self.reliability() <= 1.0:
            problems.append(f"reliability {self.reliability()} outside [0, 1]")
        return problems

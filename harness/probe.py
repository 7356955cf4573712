"""A probe on the system's internal bus: an extra consumer that checks each topic's numbering.

It subscribes like any consumer, so what it sees is what every consumer of the topic is handed;
it counts per topic what arrived, the gaps and the repeats, independently of the bus's own counts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TopicSeen:
    received: int = 0
    last: int = 0
    gaps: int = 0
    repeats: int = 0
    first: int = 0
    feed_seq: int = 0  # the exchange's channel number of the last market data message delivered


class BusProbe:
    def __init__(self, bus, topics: list[str]) -> None:  # noqa: ANN001 - system.bus.DataFlowManager
        self.bus = bus
        self.topics: dict[str, TopicSeen] = {}
        for topic in topics:
            seen = self.topics[topic] = TopicSeen()
            bus.subscribe(
                topic, lambda seq, message, s=seen: self._on(s, seq, message), consumer="harness_probe"
            )

    @staticmethod
    def _on(seen: TopicSeen, seq: int, message: object) -> None:
        seen.received += 1
        seen.feed_seq = getattr(message, "seq", seen.feed_seq)
        if not seen.first:
            seen.first = seq
        elif seq <= seen.last:
            seen.repeats += 1
            return
        elif seq != seen.last + 1:
            seen.gaps += 1
        seen.last = seq

    def table(self) -> list[dict]:
        rows = []
        for topic, seen in self.topics.items():
            published = self.bus.published_on(topic)
            rows.append(
                {
                    "topic": topic,
                    "published": published,
                    "received": seen.received,
                    "lost": published - (seen.received - seen.repeats),
                    "duplicated": seen.repeats,
                    "gaps": seen.gaps,
                }
            )
        return rows

"""A probe on the system's internal bus: an extra consumer that checks each topic's numbering.

It subscribes like any consumer, so what it sees is what every consumer of the topic is handed;
it counts per topic what arrived, the gaps and the repeats, independently of the bus's own counts:
the topic's sequence numbers tell it how many messages were published up to the last it saw.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TopicSeen:
    received: int = 0
    in_order: int = 0  # received exactly once, each the successor of the one before
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
            seen.in_order += 1
        elif seq <= seen.last:
            seen.repeats += 1
            return
        elif seq != seen.last + 1:
            seen.gaps += 1
        else:
            seen.in_order += 1
        seen.last = seq

    def table(self) -> list[dict]:
        """Per topic, from the probe's own observations: the sequence numbers it saw span what was
        published (``numbered``, from the first to the last it received); the bus's own count is
        shown beside them, not used."""
        rows = []
        for topic, seen in self.topics.items():
            numbered = seen.last - seen.first + 1 if seen.first else 0
            rows.append(
                {
                    "topic": topic,
                    "numbered": numbered,
                    "received": seen.received,
                    "in order": seen.in_order,
                    "lost": numbered - (seen.received - seen.repeats),
                    "duplicated": seen.repeats,
                    "gaps": seen.gaps,
                    "bus says published": self.bus.published_on(topic),
                }
            )
        return rows

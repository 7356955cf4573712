"""A bare order-entry client that sends exactly the envelopes a scenario tells it to."""

from __future__ import annotations

from venue import auth
from venue.messages import Envelope, Logon


class RawSession:
    def __init__(self, venue) -> None:  # noqa: ANN001 - anything with venue.transport.Venue.connect
        self.received: list[object] = []
        self.disconnected: str | None = None
        self.sent: list[Envelope] = []
        self.connection = venue.connect(self._receive, self._disconnect)

    def _receive(self, envelope: Envelope) -> None:
        self.received.append(envelope.body)

    def _disconnect(self, reason: str) -> None:
        self.disconnected = reason

    def send(self, body: object) -> Envelope:
        envelope = Envelope(len(self.sent) + 1, body)
        self.sent.append(envelope)
        self.connection.send(envelope)
        return envelope

    def send_envelope(self, envelope: Envelope) -> None:
        self.connection.send(envelope)

    def logon(self, account: str, secret: str, nonce: int, cancel_on_disconnect: bool = False) -> Envelope:
        signature = auth.sign(secret, account, nonce)
        return self.send(Logon(account, signature, nonce, cancel_on_disconnect=cancel_on_disconnect))

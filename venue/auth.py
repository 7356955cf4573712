"""Logon signatures: HMAC-SHA256 of account and nonce under the account's shared secret."""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, account: str, nonce: int) -> str:
    return hmac.new(secret.encode(), f"{account}:{nonce}".encode(), hashlib.sha256).hexdigest()


def verify(secret: str, account: str, nonce: int, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, account, nonce), signature)

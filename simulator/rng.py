"""Seeded random generators: every random draw in a run derives from the one run seed.

Each consumer gets its own stream, named, so adding a consumer never shifts another's draws.
"""

from __future__ import annotations

import hashlib
import random


def derive_seed(seed: int, name: str) -> int:
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def stream(seed: int, name: str) -> random.Random:
    """An independent generator for ``name`` under run seed ``seed``."""
    return random.Random(derive_seed(seed, name))

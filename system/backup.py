"""Backups of the system's database: taken online, checked whole before a restore.

:func:`backup` copies the live database with SQLite's online backup API (the system keeps writing
meanwhile; the copy is one consistent state) into a file beside which it writes a manifest: the
copy's size and SHA-256. :func:`verify` refuses a backup, naming the file and the damage, when the
manifest is missing or unreadable, the file is shorter or longer than the manifest says (truncated),
its checksum differs or SQLite's integrity check fails (corrupted), a table the system needs is
missing, or its schema is newer than this code. :func:`restore` verifies first and only then
replaces the target database, through a temporary file renamed into place, so a refused or
interrupted restore leaves the current database as it was. The system using the target must be
stopped before a restore.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

from system.database import MIGRATIONS

REQUIRED_TABLES = ("fills", "orders", "positions", "audit_events", "api_keys", "schema_migrations")
MANIFEST_SUFFIX = ".manifest"
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(ValueError):
    """A backup refused: ``path`` names the backup file, ``damage`` says what is wrong with it."""

    def __init__(self, path: str | Path, damage: str) -> None:
        super().__init__(f"backup {path}: {damage}")
        self.path = str(path)
        self.damage = damage


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def manifest_path(path: str | Path) -> Path:
    return Path(f"{path}{MANIFEST_SUFFIX}")


def write_manifest(path: str | Path) -> None:
    """Record the backup's size and checksum beside it (written whole, then renamed into place)."""
    path = Path(path)
    target = manifest_path(path)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(f"{path.stat().st_size} {_digest(path)}\n")
    os.replace(partial, target)


def backup(source: str, target: str | Path) -> Path:
    """Copy the database file ``source`` into ``target`` while it is in use; returns ``target``."""
    if source == ":memory:" or not os.path.isfile(source):
        raise BackupError(target, f"the database {source!r} is not a file that can be backed up")
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(partial) as dst:
        src.backup(dst)
    dst.close()
    src.close()
    os.replace(partial, target)
    write_manifest(target)
    return target


def verify(path: str | Path) -> None:
    """Refuse a damaged backup with a :class:`BackupError` naming the file and the damage."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(path, "no such file")
    try:
        size_text, digest = manifest_path(path).read_text().split()
        expected_size = int(size_text)
    except (OSError, ValueError):
        raise BackupError(path, f"no readable manifest {manifest_path(path).name} beside it") from None
    size = path.stat().st_size
    if size < expected_size:
        raise BackupError(path, f"truncated: {size} bytes of the {expected_size} it was written with")
    if size != expected_size:
        raise BackupError(path, f"corrupted: {size} bytes, {expected_size} expected")
    with path.open("rb") as data:
        if data.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError(path, "corrupted: not an SQLite database")
    if _digest(path) != digest:
        raise BackupError(path, "corrupted: its checksum differs from the one it was written with")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            check = db.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = (
                db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0]
                if "schema_migrations" in tables
                else None
            )
        db.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(path, f"corrupted: {exc}") from None
    if check != "ok":
        raise BackupError(path, f"corrupted: the integrity check says {check[:120]}")
    check_tables(path, tables)
    if version is not None and version > MIGRATIONS[-1][0]:
        raise BackupError(path, f"schema version {version} is newer than this code's {MIGRATIONS[-1][0]}")


def check_tables(path: str | Path, tables: set[str]) -> None:
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        raise BackupError(path, f"missing the {', '.join(missing)} table{'s' if len(missing) > 1 else ''}")


def restore(path: str | Path, target: str) -> None:
    """Replace the database file ``target`` by the verified backup ``path``."""
    verify(path)
    target_path = Path(target)
    partial = target_path.with_name(target_path.name + ".restoring")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as src, sqlite3.connect(partial) as dst:
        src.backup(dst)
    dst.close()
    src.close()
    for suffix in ("-wal", "-shm", "-journal"):  # what belonged to the old database must not follow it
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(partial, target_path)

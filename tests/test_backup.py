"""Backups: taken online while the system trades, verified whole, restored only when sound; a damaged
backup is refused by name and the current database is left as it was."""

from __future__ import annotations

import sqlite3

import pytest

from harness import operations as ops
from system.backup import BackupError, backup, manifest_path, restore, verify, write_manifest
from system.ledger import PaperTradingSystem


@pytest.fixture
def session(tmp_path):
    s = ops.operated_session(9, tmp_path)
    s.run(40.0)
    yield s
    s.close()


def test_an_online_backup_restores_the_positions_it_was_taken_with(session, tmp_path):
    positions = session.system.ledger.positions()
    fills = session.system.ledger.fills_count()
    copy = backup(session.system.settings.ledger_path, tmp_path / "b.db")
    session.run(20.0)  # the system trades on; the backup does not move
    verify(copy)
    target = tmp_path / "restored.db"
    target.write_bytes(b"an old database")
    restore(copy, str(target))
    ledger = PaperTradingSystem(str(target))
    ledger.start()
    assert fills > 0 and ledger.fills_count() == fills and ledger.positions() == positions
    ledger.stop()


def test_a_damaged_backup_is_refused_and_the_current_database_kept(session, tmp_path):
    for damage, word in ops.DAMAGES.items():
        copy = ops.damaged_backup(session, tmp_path, damage)
        current = tmp_path / "current.db"
        current.write_bytes((tmp_path / "allUSE.db").read_bytes())
        before = ops.file_digest(current)
        with pytest.raises(BackupError, match=word) as refused:
            restore(copy, str(current))
        assert refused.value.path == str(copy) and ops.file_digest(current) == before


def test_a_backup_without_its_manifest_or_from_a_newer_schema_is_refused(session, tmp_path):
    copy = backup(session.system.settings.ledger_path, tmp_path / "b.db")
    manifest_path(copy).unlink()
    with pytest.raises(BackupError, match="no readable manifest"):
        verify(copy)
    with sqlite3.connect(copy) as db:
        db.execute("INSERT INTO schema_migrations VALUES (99, 'future')")
    db.close()
    write_manifest(copy)
    with pytest.raises(BackupError, match="schema version 99"):
        verify(copy)


def test_an_in_memory_database_cannot_be_backed_up(tmp_path):
    with pytest.raises(BackupError, match="not a file"):
        backup(":memory:", tmp_path / "b.db")

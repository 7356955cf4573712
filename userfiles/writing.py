"""Files written for the user (replay's fills, the event journal), so that nothing is lost.

- An output that is one of the run's inputs (the same file by path, link or hard link) is refused
  before anything is written.
- A regular file, or a new one, is written to a temporary file in the same folder and renamed onto
  the target only by :meth:`OutputFile.commit`, so a failed or interrupted run leaves an old file as
  it was. A new file gets the mode the user's umask gives; a replaced file keeps its mode.
- A symlink is followed: its target is the file written (the link stays a link).
- Anything else that exists (``/dev/null``, ``/dev/stdout``, a pipe from ``>(...)``) is written
  directly, as a shell redirection would.
- While a file is open, SIGTERM ends the process the way Ctrl-C does, by an exception, so that the
  temporary file is removed on the way out (exit status 143, as when killed by it).
- Every OS error (disk full, permission, a missing folder) is an :class:`OutputError` naming the path.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from types import FrameType
from typing import IO, Any

PathLike = str | os.PathLike[str]


class OutputError(Exception):
    """An output could not be written (or may not be): ``path`` and ``reason``."""

    def __init__(self, path: PathLike, reason: str) -> None:
        super().__init__(f"cannot write {os.fspath(path)}: {reason}")
        self.path = os.fspath(path)
        self.reason = reason


def _terminated(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


class _TermGuard:
    """SIGTERM as an exception while at least one output is open (main thread only)."""

    open = 0
    installed = False
    previous: Any = signal.SIG_DFL

    @classmethod
    def enter(cls) -> bool:
        if threading.current_thread() is not threading.main_thread():
            return False
        if cls.open == 0:
            previous = signal.getsignal(signal.SIGTERM)
            # A handler someone else set is theirs to keep; None means one set outside Python.
            cls.installed = previous in (signal.SIG_DFL, None)
            if cls.installed:
                cls.previous = signal.SIG_DFL if previous is None else previous
                signal.signal(signal.SIGTERM, _terminated)
        cls.open += 1
        return True

    @classmethod
    def leave(cls) -> None:
        cls.open -= 1
        if cls.open == 0 and cls.installed:
            signal.signal(signal.SIGTERM, cls.previous)
            cls.installed = False


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether paths ``a`` and ``b`` name one file (through links too)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


class OutputFile:
    """A text file written for the user; see the module docstring. Use as a context manager, or call
    :meth:`commit` when complete and :meth:`discard` on failure.

    ``inputs`` are the files the run reads (None is skipped); ``parents`` creates a missing folder.
    Write through :attr:`stream`; an ``OSError`` from it is the caller's to turn into
    :meth:`failed` (the stream is written on hot paths, so it is not wrapped).
    """

    def __init__(
        self,
        path: PathLike,
        inputs: Iterable[PathLike | None] = (),
        *,
        parents: bool = False,
        buffering: int = -1,
    ) -> None:
        self.path = os.fspath(path)
        for source in inputs:
            if source is not None and same_file(self.path, source):
                raise OutputError(self.path, f"it is an input of this run ({os.fspath(source)})")
        target = os.path.realpath(self.path)
        self._tmp: str | None = None
        try:
            if parents:
                Path(target).parent.mkdir(parents=True, exist_ok=True)
            try:
                info: os.stat_result | None = os.stat(target)
            except FileNotFoundError:
                info = None
            if info is not None and stat.S_ISDIR(info.st_mode):
                raise OutputError(self.path, "it is a directory")
            if info is not None and not stat.S_ISREG(info.st_mode):
                stream = open(target, "w", encoding="utf-8", newline="", buffering=buffering)  # noqa: SIM115
            else:
                mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask()
                folder, name = os.path.split(target)
                fd, self._tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
                try:
                    os.fchmod(fd, mode)
                    stream = open(fd, "w", encoding="utf-8", newline="", buffering=buffering)  # noqa: SIM115
                except BaseException:
                    os.close(fd)
                    raise
        except OSError as exc:
            self._remove_tmp()
            raise OutputError(self.path, exc.strerror or str(exc)) from None
        self.stream: IO[str] = stream
        self._target = target
        self._guarded = _TermGuard.enter()
        self._open = True

    def failed(self, exc: OSError) -> OutputError:
        """Discard the output after ``exc`` from its stream; the error to raise in its place."""
        self.discard()
        return OutputError(self.path, exc.strerror or str(exc))

    def commit(self) -> None:
        """Close the file and put it in place; an OutputError (and the old file kept) if that fails."""
        if not self._open:
            return
        try:
            self.stream.close()
            if self._tmp is not None:
                os.replace(self._tmp, self._target)
                self._tmp = None
        except OSError as exc:
            raise self.failed(exc) from None
        self._close()

    def discard(self) -> None:
        """Close the file and remove what was written (a device or pipe keeps what it was sent)."""
        if not self._open:
            return
        with contextlib.suppress(OSError):  # what could not be flushed is being thrown away anyway
            self.stream.close()
        self._remove_tmp()
        self._close()

    def _remove_tmp(self) -> None:
        if self._tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._tmp)
            self._tmp = None

    def _close(self) -> None:
        self._open = False
        if self._guarded:
            _TermGuard.leave()

    def __enter__(self) -> OutputFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()

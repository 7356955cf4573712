"""Reading a file a user hands in (fault plan, market profile, settings, strategy config).

Every problem is an :class:`InputError` that names the file, the key or line, and the reason, raised
before anything runs: a missing file, a directory, a device or pipe (never read: ``/dev/zero`` would
never end), a file over :data:`MAX_BYTES`, bytes that are not UTF-8 (with the line of the first bad
byte), YAML that does not parse (with its line), a key given twice in one mapping, or nesting too deep
for the parser.

YAML is read as a person means it: ``1e-3`` is the number 0.001. PyYAML follows YAML 1.1, which
wants a dot and a signed exponent (``1.0e-3``) and reads ``1e-3`` as the text "1e-3"; YAML 1.2 and
every other reader take it as a float, and so does this one.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import stat
from pathlib import Path
from typing import IO, Any

import yaml

MAX_BYTES = 1 << 20  # these files are a few KB; 1 MiB leaves room and refuses a wrong file quickly


class InputError(ValueError):
    """A file a user handed in is refused: ``where`` (the file), ``key`` (key path or line), ``reason``."""

    def __init__(self, where: str, key: str, reason: str) -> None:
        super().__init__(f"{where}: {key}: {reason}" if key else f"{where}: {reason}")
        self.where = where
        self.key = key
        self.reason = reason


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, so that a hostile value cannot flood a message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-2:]}"


def first_bad_utf8(stream: IO[bytes]) -> tuple[int, int] | None:
    """(line, byte) of the first byte of ``stream`` that is not UTF-8, or None if all of it is.

    Read in chunks, so a large file is not held in memory; a sequence cut by a chunk's end is carried
    into the next chunk by the incremental decoder.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    while True:
        chunk = stream.read(1 << 16)
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            # exc.object is what the decoder held back (never a line break) followed by this chunk.
            return line + exc.object[: exc.start].count(b"\n"), exc.object[exc.start]
        if not chunk:
            return None
        line += text.count("\n")


def read_text(path: str | Path, max_bytes: int = MAX_BYTES) -> str:
    """The UTF-8 text of the regular file ``path`` (a leading byte-order mark dropped)."""
    where = str(path)
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(where, "", "is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(where, "", "is a device or pipe, not a regular file")
        if info.st_size > max_bytes:
            raise InputError(where, "", f"{info.st_size:,} bytes, more than the {max_bytes:,} allowed")
        with open(path, "rb") as source:
            data = source.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(where, "", exc.strerror or str(exc)) from None
    if len(data) > max_bytes:  # grew since stat
        raise InputError(where, "", f"more than the {max_bytes:,} bytes allowed")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        line, byte = first_bad_utf8(io.BytesIO(data)) or (0, 0)
        raise InputError(where, f"line {line}", f"not UTF-8 text (byte 0x{byte:02x})") from None


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, reading YAML 1.2 floats and refusing a key given twice."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key_node.value!r} given twice", key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep)


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+.0123456789"),
)


def parse_yaml(text: str, where: str) -> Any:
    """The data of YAML ``text``; ``where`` names it in errors (a file path, or "settings")."""
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader: plain data only
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}" if mark is not None else ""
        raise InputError(where, line, f"not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise InputError(where, "", f"not valid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise InputError(where, "", "not valid YAML: nested too deeply") from None


def read_yaml(path: str | Path) -> Any:
    """The data of the YAML file ``path``."""
    return parse_yaml(read_text(path), str(path))

"""Writing a JSON document so that no reader ever sees half of it: results.json, the key
history's state files and the merged results all go through here."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any


def write_atomically(path: Path, document: dict[str, Any]) -> None:
    """Write then rename: a reader never sees half a file, even if the run is killed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # readable like any other report, not mkstemp's 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            _dump(document, handle)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _dump(document: dict[str, Any], handle: IO[str]) -> None:
    """The document with one top-level key per line, and one record (or domain) per line: as
    easy to read and grep as indented JSON, and written by the C encoder (indented JSON is
    written by the pure-Python one: seconds for the 50,000 records of 1,000 domains)."""
    handle.write("{\n")
    last = len(document) - 1
    for index, (key, value) in enumerate(document.items()):
        handle.write(f"  {json.dumps(key)}: ")
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            handle.write("[\n")
            handle.write(",\n".join(f"    {json.dumps(item)}" for item in value))
            handle.write("\n  ]")
        else:
            handle.write(json.dumps(value))
        handle.write(",\n" if index < last else "\n")
    handle.write("}\n")

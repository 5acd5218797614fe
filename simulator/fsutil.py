"""The one atomic writer: a file is either its old self or wholly the new one, never half.

Results, recordings, caches and model files are all written through :func:`atomic_open` (or
:func:`atomic_write` for bytes or text at hand): into a temporary file beside the target,
then renamed over it. A failure part-way removes the temporary file and leaves the target as
it was. ``private`` files (anything about a trainee) are created 0600 from the start, never
widened afterwards; ``durable`` ones are fsynced, and so is their directory.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def atomic_open(path: Path | str, *, private: bool = True, durable: bool = False) -> Iterator[IO[bytes]]:
    """A binary file to write ``path``'s new content into; it replaces ``path`` when the block
    ends without an exception. Mode 0600 when ``private``, else 0644."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")  # unique: threads may write one path
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            if not private:
                os.fchmod(f.fileno(), 0o644)  # whatever the umask says: caches and examples are shared
            yield f
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)


def atomic_write(path: Path | str, data: bytes | str, *, private: bool = True, durable: bool = False) -> None:
    """Write ``data`` (text is written as UTF-8) to ``path`` atomically."""
    with atomic_open(path, private=private, durable=durable) as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

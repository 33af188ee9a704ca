"""Nothing half-written: files napstack writes are replaced whole, and temporary folders are left behind only
when it is killed outright (SIGKILL, a power cut), to be swept at the start of the next run.

A run removes its own temporary folders when it ends, even on Ctrl-C or SIGTERM. Each one's name carries the
id of the process that made it (`napstack-count_connections-p1234-xxxx` under the temp folder,
`.<key>-p1234-xxxx` staging folders in the assembly cache), so a sweep removes exactly those whose process is
gone, never one that another napstack is still writing.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

OWNER = re.compile(r"-p(\d+)-")
# A leftover that names no process (an older napstack's) is swept once it is this old: no run takes a day.
UNOWNED_AFTER_SECONDS = 24 * 3600


def owned_prefix(prefix: str) -> str:
    """`prefix` for a temporary folder of this process: `napstack-cdk.out-` -> `napstack-cdk.out-p1234-`."""
    return f"{prefix}p{os.getpid()}-"


def _process_gone(pid: int) -> bool:
    if not 0 < pid <= 2 ** 22:  # not a process id Linux gives out (and 0 would signal our own process group)
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process: alive
        return False
    return False


def _left_behind(entry: Path) -> bool:
    owner = OWNER.search(entry.name)
    if owner:
        return int(owner.group(1)) != os.getpid() and _process_gone(int(owner.group(1)))
    return time.time() - entry.lstat().st_mtime > UNOWNED_AFTER_SECONDS


def sweep(cache: Path | None = None) -> list[Path]:
    """Remove the temporary folders of napstack processes that are gone: `napstack-*` under the temp folder and
    staging folders (`.<key>-*`) in the assembly cache `cache`. Returns what was removed; never raises."""
    places = [(Path(tempfile.gettempdir()), "napstack-*")] + ([(cache, ".*-*")] if cache else [])
    removed = []
    for folder, pattern in places:
        try:
            entries = [e for e in folder.glob(pattern) if e.is_dir() and not e.is_symlink() and _left_behind(e)]
        except OSError:  # no such folder, or not readable: nothing of ours to sweep there
            continue
        for entry in entries:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


@contextlib.contextmanager
def jsii_temp_folder():
    """Within (around `import aws_cdk`, which starts jsii's node process): the temporary files jsii makes, its
    runtime's copy and node's `jsii-kernel-*` modules, go into a `napstack-jsii-p<pid>-` folder of ours, removed
    when the process ends. A Ctrl-C reaches node too, which then leaves its folder behind: now inside ours."""
    folder = tempfile.mkdtemp(prefix=owned_prefix("napstack-jsii-"))
    atexit.register(shutil.rmtree, folder, True)  # registered first, so it runs after jsii has stopped node
    previous = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"], tempfile.tempdir = folder, folder  # node's os.tmpdir(), and Python's for jsii's runtime
    try:
        yield
    finally:
        if previous[0] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = previous[0]
        tempfile.tempdir = previous[1]


def write_whole(path: Path, text: str) -> None:
    """`path` holds `text`, or what it held before: written beside it, then renamed over it (atomic on POSIX), so
    an interruption or a full disk never leaves half a file."""
    staging = path.with_name(f".{path.name}.{owned_prefix('napstack-')}tmp")
    try:
        staging.write_text(text, encoding="utf-8")
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)

"""A module of functions/<name>/ loaded from its file, so a command runs exactly what the Lambda runs; and the
modules of functions/shared/ a function declares, which synth bundles beside its code (stacks/lambda_function.py)
and the emulator and the tests put on the path the same way."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
SHARED = "shared"  # functions/shared/: logic two functions need, kept once (no app.py: not a function)
SHARED_LIST = "shared.txt"  # in a function's folder: the shared modules it imports, one a line


class SharedModuleError(Exception):
    """A function's shared.txt names a module functions/shared/ does not hold."""


def shared_modules(folder: Path) -> list[Path]:
    """The files of functions/shared/ that the function in `folder` names in its shared.txt (one module name a line,
    # comments), bundled into its asset as top-level modules, as if they sat beside its app.py."""
    listing = folder / SHARED_LIST
    if not listing.is_file():
        return []
    names = [line.split("#")[0].strip() for line in listing.read_text().splitlines()]
    files = [folder.parent / SHARED / f"{name}.py" for name in names if name]
    missing = [f.stem for f in files if not f.is_file()]
    if missing:
        raise SharedModuleError(f"{listing}: {', '.join(missing)} is not a module of {folder.parent / SHARED}: "
                                "name a file there without its .py")
    return files


def importable(folder: Path) -> list[str]:
    """What goes on sys.path for the function in `folder` to import as in its asset: the folder, and functions/shared/
    when it declares shared modules."""
    return [str(folder)] + ([str(folder.parent / SHARED)] if shared_modules(folder) else [])


def load_function_module(name: str, path: Path):
    """The module in `path`, imported once per process as `name`."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the file executes
        spec.loader.exec_module(module)
    return sys.modules[name]

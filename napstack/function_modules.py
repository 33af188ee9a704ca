"""A module of functions/<name>/ loaded from its file, so a command runs exactly what the Lambda runs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"


def load_function_module(name: str, path: Path):
    """The module in `path`, imported once per process as `name`."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the file executes
        spec.loader.exec_module(module)
    return sys.modules[name]

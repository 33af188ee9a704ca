"""`napstack query`: the check Lambda's own game query (functions/count_connections/game_query.py), loaded from its
file so the command asks exactly as the watchdog does."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

GAME_QUERY_FILE = Path(__file__).resolve().parent.parent / "functions" / "count_connections" / "game_query.py"


def _load():
    name = "napstack_game_query"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, GAME_QUERY_FILE)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the file executes
        spec.loader.exec_module(module)
    return sys.modules[name]


_game_query = _load()
PROTOCOLS, QueryFailed, QueryResult, address, query = (
    _game_query.PROTOCOLS, _game_query.QueryFailed, _game_query.QueryResult, _game_query.address, _game_query.query
)

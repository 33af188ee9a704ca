"""`napstack query`: the check Lambda's own game query (functions/shared/game_query.py), loaded from its
file so the command asks exactly as the watchdog does."""

from __future__ import annotations

from napstack.function_modules import FUNCTIONS_DIR, SHARED, load_function_module

GAME_QUERY_FILE = FUNCTIONS_DIR / SHARED / "game_query.py"

_game_query = load_function_module("napstack_game_query", GAME_QUERY_FILE)
PROTOCOLS, QueryFailed, QueryResult, address, query = (
    _game_query.PROTOCOLS, _game_query.QueryFailed, _game_query.QueryResult, _game_query.address, _game_query.query
)

"""Import functions/<name>/ modules the way Lambda does: the function's folder on sys.path, and functions/shared/
whose modules synth bundles beside the code of the functions that declare them."""

import sys

from napstack.function_modules import importable
from tests.conftest import ROOT

for function in ("count_connections", "start_server", "dns_record", "launch_failures", "query_logging", "reconciler", "notify",
                 "status_page", "warm_pool_refresh"):
    for path in importable(ROOT / "functions" / function):
        if path not in sys.path:
            sys.path.insert(0, path)

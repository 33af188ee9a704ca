"""Import functions/<name>/ modules the way Lambda does: the function's folder on sys.path."""

import sys

from tests.conftest import ROOT

for function in ("count_connections", "start_server", "dns_record", "launch_failures", "query_logging", "reconciler", "notify"):
    sys.path.insert(0, str(ROOT / "functions" / function))

"""Import functions/<name>/ modules the way Lambda does: the function's folder on sys.path."""

import sys

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "functions" / "count_connections"))

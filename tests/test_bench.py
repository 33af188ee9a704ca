"""`make bench` measures what it says (a smoke test of its parts; the numbers themselves are not judged)."""

from napstack import bench


def test_asset_size_is_the_zipped_function_without_caches():
    sizes = {name: bench.asset_bytes(name) for name in ("count_connections", "start_server")}
    assert 0 < sizes["start_server"] < 100_000  # code only
    assert 200_000 < sizes["count_connections"] < 2_000_000  # with the game query libraries bundled


def test_cold_import_time_is_read_from_importtime():
    assert bench.handler_import_ms("start_server", runs=1) > 0


def test_cold_imports_work_without_a_configured_region(monkeypatch):
    """Handlers create their clients at import; the bench gives them the region Lambda always sets."""
    for key in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(key, raising=False)
    assert bench.handler_import_ms("count_connections", runs=1) > 0


def test_a_warm_check_is_timed_with_aws_answering_at_once():
    """The stubbed responses must be what the handler asks for: a mismatch raises in the subprocess, not a figure."""
    assert 0 < bench.warm_check_ms(runs=3) < 1000

"""`make bench` measures what it says (a smoke test of its parts; the numbers themselves are not judged)."""

from napstack import bench


def test_asset_size_is_the_zipped_function_without_caches():
    sizes = {name: bench.asset_bytes(name) for name in ("count_connections", "start_server")}
    assert 500_000 < sizes["start_server"] < 1_500_000  # code and Powertools, without its parser (no pydantic)
    assert 3_000_000 < sizes["count_connections"] < 6_000_000  # also pydantic (Lambda's build) and the game queries


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


def test_every_timed_figure_is_also_printed_as_a_ratio_to_a_floor_of_the_same_run():
    results = {
        "floor_bare_python_ms": 40.0, "floor_empty_cdk_app_seconds": 3.0, "synth_seconds": 9.0, "synth_peak_mib": 560,
        "emulator_setup_seconds": 0.08, "emulator_first_setup_seconds": 1.6, "evening_replay_seconds": 1.2, "evening_replay_checks": 145,
        "cpu_ms_per_simulated_check": 8.0, "long_session_seconds": 20.0, "long_session_checks": 2500,
        "long_session_cpu_ms_per_check": 7.6, "replay_command_seconds": 2.9,
        "short_replay_command_seconds": 1.5, "floor_import_boto3_moto_seconds": 0.36, "short_replay_command_ratio": 4.2, "test_suite_seconds": 51.0, "handler_cold_import_ms": {"start_server": 280.0},
        "warm_check_ms": 0.6, "function_asset_bytes": {"start_server": 3687}, "watchdog_transitions_per_idle_check": 3,
        "watchdog_usd_per_server_hour": 0.0045, "watchdog_interval_seconds": 60, "hook_transitions_per_start": 9,
        "hook_transitions_per_stop": 12,
    }
    text = bench.render(results, runs=3, config=bench.DEFAULT_CONFIG)
    assert "0.08 s (2.0x bare python); a process's first 1.60 s (40.0x bare python" in text
    assert "1.20 s wall (30.0x bare python) for 145 checks, 8.0 ms of CPU per check (0.2x bare python)" in text
    assert "20.0 s wall (500.0x bare python) for 2,500 checks" in text
    assert "2.90 s (72.5x bare python), the evening session" in text
    assert 'short replay command               1.50 s (4.2x python -c "import boto3, moto", 0.36 s alternated' in text
    assert "51.00 s (17.0x the empty CDK app)" in text
    assert "9.00 s (3.0x the empty app)" in text and "280.0 ms (7.0x bare python" in text

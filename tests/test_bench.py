"""`make bench` measures what it says (a smoke test of its parts; the numbers themselves are not judged)."""

import pytest

from napstack import bench


def test_asset_size_is_the_zipped_function_without_caches():
    sizes = {name: bench.asset_bytes(name) for name in ("count_connections", "start_server")}
    assert 500_000 < sizes["start_server"] < 1_500_000  # code and Powertools, without its parser (no pydantic)
    assert 3_000_000 < sizes["count_connections"] < 6_000_000  # also pydantic (Lambda's build) and the game queries


def test_a_cold_start_is_a_ratio_of_whole_processes_to_python_pass():
    cold = bench.handler_cold_start("dns_record", samples=1)
    assert set(cold) == {"floor_ms", "import_ms", "import_ratio"}  # dns_record is not on the wake path
    assert cold["import_ratio"] == pytest.approx(cold["import_ms"] / cold["floor_ms"], abs=0.1)


def test_the_wake_paths_first_invocations_run_with_every_aws_call_answered(monkeypatch):
    """Their clients are made on first use, so the first invocation is measured too; it runs with the region Lambda
    always sets, and a call the script does not answer (or an answer never asked for) fails it, not the figure."""
    for key in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(key, raising=False)
    for function in bench.WAKE_PATH:
        cold = bench.handler_cold_start(function, samples=1)
        assert cold["first_invocation_ratio"] == pytest.approx(cold["first_invocation_ms"] / cold["floor_ms"], abs=0.1)


def test_a_warm_check_is_timed_with_aws_answering_at_once():
    """The stubbed responses must be what the handler asks for: a mismatch raises in the subprocess, not a figure."""
    assert 0 < bench.warm_check_ms(runs=3) < 1000


def test_every_timed_figure_is_also_printed_as_a_ratio_to_a_floor_of_the_same_run():
    results = {
        "floor_bare_python_ms": 40.0, "floor_empty_cdk_app_seconds": 3.0, "synth_seconds": 9.0, "synth_peak_mib": 560,
        "emulator_setup_seconds": 0.08, "emulator_first_setup_seconds": 1.6, "evening_replay_seconds": 1.2, "evening_replay_checks": 145,
        "cpu_ms_per_simulated_check": 8.0, "long_session_seconds": 20.0, "long_session_checks": 2500,
        "long_session_cpu_ms_per_check": 7.6, "replay_command_seconds": 2.9,
        "short_replay_command_seconds": 1.5, "floor_import_boto3_moto_seconds": 0.36, "short_replay_command_ratio": 4.2, "test_suite_seconds": 51.0, "handler_cold_start": {
            "start_server": {"floor_ms": 20.0, "import_ms": 200.0, "import_ratio": 10.0, "first_invocation_ms": 300.0,
                             "first_invocation_ratio": 15.0},
            "dns_record": {"floor_ms": 25.0, "import_ms": 150.0, "import_ratio": 6.0}},
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
    assert "9.00 s (3.0x the empty app)" in text
    assert ("cold start start_server            import app 200 ms (10.0x python -c pass, 20 ms alternated with it); "
            "with its first invocation 300 ms (15.0x)") in text
    assert "cold start dns_record              import app 150 ms (6.0x python -c pass, 25 ms alternated with it)\n" in text

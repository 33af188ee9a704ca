"""The watchdog's per-check decision, without AWS: idle counting, grace, failures, max uptime, continue-as-new."""

from datetime import datetime, timedelta, timezone

import pytest

from watch_logic import HostReport, Players, Settings, Watch, next_watch, parse_wake, ready_figures, udp_delta

LAUNCH = datetime(2026, 11, 26, 20, 0, tzinfo=timezone.utc)


def settings(**changes) -> Settings:
    values = dict(
        ServerName="mc", Protocol="tcp", Port=25565, UdpPacketThreshold=10, CountSsh=True, IntervalSeconds=60,
        IdleChecks=3, MaxFailedChecks=2, StartupGraceMinutes=5, MaxUptimeHours=12, MaxUptimeAction="alert",
    )
    return Settings(**{**values, **changes})


def report(tcp=0, udp=0, ssh=0, running=True, listening=True) -> HostReport:
    return HostReport(container_running=running, listening=listening, tcp=tcp, udp_packets=udp, ssh=ssh)


def run(checks, config=None, start_minute=10):
    """Feed checks (HostReport, or an error string) one minute apart; return (watch, check) per step. Ready was said
    already (the ready tests below start before it)."""
    config = config or settings()
    watch, steps = Watch(LaunchedAt=LAUNCH, ReadyAlerted=True), []
    for minute, item in enumerate(checks, start=start_minute):
        now = LAUNCH + timedelta(minutes=minute)
        if isinstance(item, str):
            watch, check = next_watch(config, watch, now, error=item)
        else:
            watch, check = next_watch(config, watch, now, report=item)
        steps.append((watch, check))
    return steps


def verdicts(steps):
    return [w.Verdict for w, _ in steps]


def test_scales_down_after_exactly_n_idle_checks():
    steps = run([report()] * 3)
    assert verdicts(steps) == ["Watching", "Watching", "ScaleDown"]
    assert steps[-1][0].Reason == "mc scaled down: idle for 3 checks of 60 s since 20:10 UTC. Session: 12 min since 20:00 UTC."


def test_a_player_resets_the_idle_count():
    steps = run([report(), report(), report(tcp=1), report(), report()])
    assert [w.IdleCount for w, _ in steps] == [1, 2, 0, 1, 2]
    assert "ScaleDown" not in verdicts(steps)


def test_ssh_counts_as_activity_unless_turned_off():
    assert run([report(ssh=1)] * 3)[-1][0].IdleCount == 0
    assert verdicts(run([report(ssh=1)] * 3, settings(CountSsh=False)))[-1] == "ScaleDown"


def test_udp_is_active_only_above_the_threshold():
    udp = settings(Protocol="udp", UdpPacketThreshold=10)
    # Counter readings: +100 (players), +5 (server-list pings), +5, +5 -> three idle checks.
    steps = run([report(udp=100), report(udp=200), report(udp=205), report(udp=210), report(udp=215)], udp)
    assert [c.Result for _, c in steps] == ["active", "active", "idle", "idle", "idle"]
    assert verdicts(steps)[-1] == "ScaleDown"


def test_a_restarted_container_resets_the_udp_counter():
    assert udp_delta(500, 20) == 20 and udp_delta(None, 7) == 7 and udp_delta(10, 15) == 5


def test_nothing_is_idle_during_startup_grace():
    steps = run([report(running=False, listening=False)] * 4 + [report()] * 3, start_minute=1)
    results = [c.Result for _, c in steps]
    assert results[:4] == ["grace"] * 4  # minutes 1-4 of a 5-minute grace
    assert verdicts(steps)[-1] == "ScaleDown" and steps[-1][0].IdleCount == 3


def test_grace_ends_when_the_game_first_listens():
    """Players join at once and leave after two minutes: the checks after are idle, not grace (10-minute grace)."""
    steps = run([report(tcp=2), report(tcp=1)] + [report()] * 3, settings(StartupGraceMinutes=10), start_minute=1)
    assert [c.Result for _, c in steps] == ["active", "active", "idle", "idle", "idle"]
    assert verdicts(steps)[-1] == "ScaleDown"  # check 2 + IdleChecks, not after the grace


def test_grace_ends_at_the_first_check_the_port_listens_even_without_players():
    steps = run([report(running=True, listening=False)] * 2 + [report()] * 3, settings(StartupGraceMinutes=10), start_minute=1)
    assert [c.Result for _, c in steps] == ["grace", "grace", "idle", "idle", "idle"]


def test_a_slow_start_is_not_idle_while_nothing_listens():
    steps = run([report(running=True, listening=False)] * 8, settings(StartupGraceMinutes=10), start_minute=1)
    assert {c.Result for _, c in steps} == {"grace"} and steps[-1][0].IdleCount == 0


def test_a_server_still_not_listening_after_grace_is_idle():
    steps = run([report(running=False, listening=False)] * 3, start_minute=6)
    assert verdicts(steps)[-1] == "ScaleDown"


def test_failed_checks_are_not_idle_but_enough_of_them_scale_down():
    steps = run([report(), report(), "CommandNotSuccessful: Failed"])
    assert steps[-1][0].IdleCount == 2 and steps[-1][0].Verdict == "Watching"
    steps = run(["InvocationDoesNotExist", "InvocationDoesNotExist"])
    assert verdicts(steps) == ["Watching", "ScaleDown"]
    assert "the last 2 checks failed (last error: InvocationDoesNotExist)" in steps[-1][0].Reason


def test_a_good_check_clears_the_failure_count():
    steps = run(["boom", report(tcp=1), "boom"])
    assert [w.FailedCount for w, _ in steps] == [1, 0, 1]


def test_max_uptime_alerts_once_and_keeps_players_playing():
    config = settings(MaxUptimeHours=0.25)
    steps = run([report(tcp=2)] * 8, config, start_minute=14)
    assert verdicts(steps).count("AlertMaxUptime") == 1
    assert verdicts(steps)[1] == "AlertMaxUptime"  # minute 15
    assert "up for 0.25 h" in steps[1][0].Reason


def test_max_uptime_stop_scales_down_even_with_players():
    steps = run([report(tcp=5)] * 2, settings(MaxUptimeHours=0.25, MaxUptimeAction="stop"), start_minute=14)
    assert verdicts(steps) == ["Watching", "ScaleDown"]
    assert "players or not" in steps[-1][0].Reason


def test_continues_as_new_before_the_history_limit_and_keeps_counting():
    steps = run([report(tcp=1)] * 5, settings(ChecksPerExecution=2))
    assert verdicts(steps) == ["Watching", "ContinueAsNew", "Watching", "ContinueAsNew", "Watching"]
    assert [w.Generation for w, _ in steps] == [1, 2, 2, 3, 3]
    assert steps[-1][0].Checks == 5


def test_an_instance_gone_ends_the_watch():
    watch, check = next_watch(settings(), Watch(LaunchedAt=LAUNCH), LAUNCH, instance_in_service=False)
    assert watch.Verdict == "InstanceGone" and check.Result == "gone"


@pytest.mark.parametrize("n", [1, 4, 10])
def test_idle_checks_setting_is_honoured(n):
    steps = run([report()] * n, settings(IdleChecks=n))
    assert verdicts(steps).index("ScaleDown") == n - 1


from hypothesis import given, settings as hypothesis_settings, strategies as st  # noqa: E402

OUTCOMES = {"tcp": report(tcp=1), "ssh": report(ssh=1), "idle": report(), "down": report(running=False, listening=False)}


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    outcomes=st.lists(st.sampled_from(sorted(OUTCOMES) + ["fail"]), max_size=40),
    idle_checks=st.integers(1, 6),
    failures=st.integers(1, 4),
    grace_minutes=st.integers(0, 8),
)
def test_scales_down_iff_n_idle_in_a_row_after_grace_or_m_failures_in_a_row(outcomes, idle_checks, failures, grace_minutes):
    config = settings(IdleChecks=idle_checks, MaxFailedChecks=failures, StartupGraceMinutes=grace_minutes, MaxUptimeHours=1000)
    watch, expected, idle, failed, game_up = Watch(LaunchedAt=LAUNCH), None, 0, 0, False
    for minute, outcome in enumerate(outcomes, start=1):
        # The reference rule, in plain terms: grace only until the game first listens, and only for its minutes.
        if outcome == "fail":
            failed += 1
        else:
            failed = 0
            game_up = game_up or outcome != "down"
            in_grace = not game_up and minute < grace_minutes
            idle = 0 if outcome in ("tcp", "ssh") or in_grace else idle + 1
        should_scale = failed >= failures or (outcome != "fail" and idle >= idle_checks)
        now = LAUNCH + timedelta(minutes=minute)
        if outcome == "fail":
            watch, _ = next_watch(config, watch, now, error="boom")
        else:
            watch, _ = next_watch(config, watch, now, report=OUTCOMES[outcome])
        assert (watch.Verdict == "ScaleDown") == should_scale, (minute, outcomes[:minute])
        if should_scale:
            expected = minute
            break
    assert expected is None or watch.Checks == expected


# With Watchdog.Query: (host report or None for a failed host check, the game's answer or None for no answer).
QUERY = {"Protocol": "minecraft-java", "Port": 25565, "Transport": "tcp", "TimeoutSeconds": 2}
ANSWERED = {
    "players": (report(), Players(Count=1)),
    "sockets-no-players": (report(tcp=3), Players(Count=0)),
    "unanswered-sockets": (report(tcp=1), None),
    "unanswered-idle": (report(), None),
    "down": (report(running=False, listening=False), None),
    "host-failed-game-answered": (None, Players(Count=0)),
    "fail": (None, None),
}


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    outcomes=st.lists(st.sampled_from(sorted(ANSWERED)), max_size=40),
    idle_checks=st.integers(1, 6),
    failures=st.integers(1, 4),
    grace_minutes=st.integers(0, 8),
)
def test_with_a_query_the_games_answer_decides_and_connections_only_stand_in(outcomes, idle_checks, failures, grace_minutes):
    config = settings(IdleChecks=idle_checks, MaxFailedChecks=failures, StartupGraceMinutes=grace_minutes,
                      MaxUptimeHours=1000, Query=QUERY)
    watch, idle, failed, game_up, hints = Watch(LaunchedAt=LAUNCH), 0, 0, False, 0
    for minute, outcome in enumerate(outcomes, start=1):
        host, answer = ANSWERED[outcome]
        # The reference: players decide when the game answers; connections when it does not; a failure only when
        # neither the host nor the game said anything; grace until the game first listens, answers or has a player.
        if host is None and answer is None:
            failed += 1
        else:
            failed = 0
            active = answer.Count > 0 if answer is not None else host.tcp > 0
            game_up = game_up or answer is not None or host.listening or active
            in_grace = not game_up and minute < grace_minutes
            idle = 0 if active or in_grace else idle + 1
        should_scale = failed >= failures or (outcome != "fail" and idle >= idle_checks)
        watch, check = next_watch(config, watch, LAUNCH + timedelta(minutes=minute), host,
                                  "boom" if host is None else None, players=answer, query_error=None if answer else "silent")
        assert (watch.Verdict == "ScaleDown") == should_scale, (minute, outcomes[:minute])
        assert check.Counted in (None, "players" if answer is not None else "connections")
        hints += watch.Verdict == "AlertConfigHint"
        if should_scale:
            break
    assert hints <= 1  # the config hint is sent once a session at most


def test_a_game_service_set_to_zero_is_restarted_and_its_players_are_not_counted_gone():
    config, now = settings(), LAUNCH + timedelta(minutes=20)
    idle_twice = Watch(LaunchedAt=LAUNCH, IdleCount=2, IdleSince=LAUNCH, GameUp=True)
    watch, check = next_watch(config, Watch(LaunchedAt=LAUNCH, GameUp=True), now, report=report(), service_stopped=True)
    assert (watch.Verdict, watch.IdleCount, check.Result) == ("RestartGame", 0, "idle")
    assert "ECS service was set to 0 while the instance runs" in watch.Reason
    # A server idle long enough stops rather than restarting its game; a failed host check still restarts it.
    assert next_watch(config, idle_twice, now, report=report(), service_stopped=True)[0].Verdict == "ScaleDown"
    assert next_watch(config, Watch(LaunchedAt=LAUNCH), now, error="boom", service_stopped=True)[0].Verdict == "RestartGame"
    assert next_watch(config, Watch(LaunchedAt=LAUNCH, ReadyAlerted=True), now, report=report(tcp=1))[0].Verdict == "Watching"


# Ready, said once, measured from the wake (the lookup or the page's button) the hook read at launch.
WOKEN = "2026-11-26T19:59:10+00:00 by a lookup of mc.example.com (A)"


def test_ready_is_said_once_from_the_wake_with_the_games_answer():
    config = settings(Query=QUERY, Address="mc.example.com:25565")
    watch = Watch(LaunchedAt=LAUNCH, Woken=WOKEN)
    watch, _ = next_watch(config, watch, LAUNCH + timedelta(seconds=40), report(tcp=0, listening=False), players=None)
    assert watch.Verdict == "Watching" and watch.RunningAt == LAUNCH + timedelta(seconds=40)
    ready_at = LAUNCH + timedelta(seconds=44)
    watch, _ = next_watch(config, watch, ready_at, report(), players=Players(Count=0, Max=20, Version="Paper 1.21"))
    assert (watch.Verdict, watch.AlertSubject, watch.AlertKind) == ("AlertReady", "ready", "ready")
    assert watch.Reason == ("mc is ready: mc.example.com:25565, 0/20 players, Paper 1.21, 94 s after the wake "
                            "(a lookup of mc.example.com (A)).")
    assert ready_figures(watch, ready_at) == {"WakeToLaunchSeconds": 50, "WakeToRunningTaskSeconds": 90, "WakeToReadySeconds": 94}
    watch, _ = next_watch(config, watch, ready_at + timedelta(minutes=1), report(), players=Players(Count=1, Max=20))
    assert watch.Verdict == "Watching"  # once


def test_a_console_start_is_measured_from_the_launch_and_records_no_wake_figures():
    config = settings(Query=QUERY, Address="mc.example.com:25565")
    now = LAUNCH + timedelta(seconds=61)
    watch, _ = next_watch(config, Watch(LaunchedAt=LAUNCH), now, report(), players=Players(Count=2, Max=20))
    assert watch.Reason == "mc is ready: mc.example.com:25565, 2/20 players, 61 s after the launch (started from the console)."
    assert ready_figures(watch, now) == {}


def test_without_a_query_ready_is_when_the_game_first_listens():
    config = settings(Address="valheim.example.com:2456", Protocol="udp", Port=2456)
    watch = Watch(LaunchedAt=LAUNCH, Woken="2026-11-26T19:59:00Z by the status page")
    watch, _ = next_watch(config, watch, LAUNCH + timedelta(minutes=1), report(listening=False))
    assert watch.Verdict == "Watching" and not watch.ReadyAlerted
    watch, _ = next_watch(config, watch, LAUNCH + timedelta(minutes=2), report())
    assert watch.Verdict == "AlertReady"
    assert watch.Reason == ("mc is ready: valheim.example.com:2456, listening on 2456/udp, 180 s after the wake "
                            "(the status page).")


def test_a_restarted_watchdog_does_not_say_ready_again():
    watch = Watch(LaunchedAt=LAUNCH, Restarts=1, Woken=WOKEN)
    assert next_watch(settings(), watch, LAUNCH + timedelta(minutes=1), report())[0].Verdict == "Watching"


@pytest.mark.parametrize("record", ["", "garbage", "2026-11-26T19:59:10 by x", "2026-11-26T21:00:00Z by later",
                                    "2026-11-26T19:59:10Z by ", "2026-11-26T19:59:10Z a lookup"])
def test_a_wake_record_that_cannot_be_this_launchs_is_no_wake(record):
    assert parse_wake(record, LAUNCH) is None


def test_a_wake_record_keeps_only_printable_bounded_text():
    when, who = parse_wake("2026-11-26T19:59:10Z by the \x1b[31mpage" + "x" * 500, LAUNCH)
    assert when == LAUNCH - timedelta(seconds=50) and "\x1b" not in who and len(who) <= 120

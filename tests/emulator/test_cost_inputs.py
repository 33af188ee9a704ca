"""The transition counts `napstack cost` uses are the ones the real state machines make in the emulator."""

import json

from napstack import cost
from napstack.config import load_config
from napstack.emulator.replay import replay
from tests.conftest import ROOT


def test_cost_uses_the_measured_transition_counts():
    config = load_config(ROOT / "examples" / "minecraft-java.yaml")
    result = replay(config, json.loads((ROOT / "events" / "asg-launch-successful.json").read_text()))
    start_hook, watchdog, stop_hook = result.executions
    checks = result.watchdog_checks
    assert start_hook.transitions == cost.HOOK_TRANSITIONS_PER_START
    assert stop_hook.transitions == cost.HOOK_TRANSITIONS_PER_STOP
    assert watchdog.transitions == (checks * cost.WATCHDOG_TRANSITIONS_PER_CHECK + cost.WATCHDOG_TRANSITIONS_AT_SCALE_DOWN
                                    + cost.WATCHDOG_TRANSITIONS_WHEN_READY)  # ready, once a session

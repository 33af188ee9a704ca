"""The state machine pictures in state_machines/README.md are drawn from the ASL files and kept current."""

import json

from napstack.asl import asl_file
from napstack.diagram import MACHINES, README, mermaid, readme_with_diagrams


def test_committed_diagrams_are_current():
    text = README.read_text()
    assert readme_with_diagrams(text) == text, "run `python -m napstack diagram`"


def test_every_state_and_transition_is_drawn():
    for name in MACHINES:
        definition = json.loads(asl_file(name).read_text())
        drawn = mermaid(definition)
        for state_name, state in definition["States"].items():
            assert f"    {state_name}" in drawn
            if "Next" in state:
                assert f"{state_name} --> {state['Next']}" in drawn
            for catch in state.get("Catch", []):
                errors = ", ".join(catch["ErrorEquals"])
                assert f'{state_name} -. "catch {errors}" .-> {catch["Next"]}' in drawn
            if state.get("Retry"):
                assert f"{state_name}<br/><small>{state['Type']} ↻ retry" in drawn


def test_a_changed_definition_makes_the_diagram_stale(tmp_path):
    definition = json.loads(asl_file("watchdog").read_text())
    definition["States"]["WaitForNextCheck"]["Next"] = "IdleLongEnough"
    assert "WaitForNextCheck --> IdleLongEnough" in mermaid(definition)
    assert "WaitForNextCheck --> IdleLongEnough" not in README.read_text()

"""Mermaid flowcharts of the state machines, drawn from their ASL files, kept in state_machines/README.md."""

from __future__ import annotations

import json
import re

from napstack.asl import STATE_MACHINES_DIR, asl_file
from napstack.leftovers import write_whole

README = STATE_MACHINES_DIR / "README.md"
MACHINES = ("watchdog", "asg_state_change")
SHAPES = {"Choice": ("{", "}"), "Fail": ("[[", "]]"), "Succeed": ("([", "])"), "Wait": ("[/", "/]")}


def _node(name: str, state: dict) -> str:
    kind = state["Type"]
    label = f"{name}<br/><small>{kind}{' ↻ retry' if state.get('Retry') else ''}</small>"
    left, right = SHAPES.get(kind, ("[", "]"))
    return f'    {name}{left}"{label}"{right}'


def _condition(rule: dict) -> str:
    """The comparisons of a Choice rule that say something (presence checks are left out)."""
    for joiner in ("And", "Or"):
        if joiner in rule:
            parts = [_condition(part) for part in rule[joiner]]
            return f" {joiner.lower()} ".join(part for part in parts if part)
    comparison = next(((k, v) for k, v in rule.items() if k not in ("Variable", "Next", "IsPresent")), None)
    return f"{rule['Variable']} {comparison[0]} {comparison[1]}" if comparison else ""


def _edges(name: str, state: dict) -> list[str]:
    edges = []
    for choice in state.get("Choices", []):
        edges.append(f'    {name} -->|"{_condition(choice)}"| {choice["Next"]}')
    if "Default" in state:
        edges.append(f'    {name} -->|"otherwise"| {state["Default"]}')
    if "Next" in state:
        edges.append(f"    {name} --> {state['Next']}")
    for catch in state.get("Catch", []):
        edges.append(f'    {name} -. "catch {", ".join(catch["ErrorEquals"])}" .-> {catch["Next"]}')
    if state.get("End") or state["Type"] in ("Succeed", "Fail"):
        edges.append(f"    {name} --> stop((end))")
    return edges


def mermaid(definition: dict) -> str:
    lines = ["```mermaid", "flowchart TD", f"    start((start)) --> {definition['StartAt']}"]
    for name, state in definition["States"].items():
        lines.append(_node(name, state))
    for name, state in definition["States"].items():
        lines.extend(_edges(name, state))
    lines.append("```")
    return "\n".join(lines)


def _block(name: str) -> str:
    definition = json.loads(asl_file(name).read_text())
    return f"<!-- diagram:{name} -->\n{mermaid(definition)}\n<!-- /diagram:{name} -->"


def readme_with_diagrams(text: str) -> str:
    for name in MACHINES:
        pattern = re.compile(rf"<!-- diagram:{name} -->.*?<!-- /diagram:{name} -->", re.S)
        if pattern.search(text):
            text = pattern.sub(lambda _: _block(name), text)
        else:
            text = text.rstrip() + f"\n\n## {name}.asl.json\n\n{_block(name)}\n"
    return text


def write_diagrams() -> bool:
    """Rewrite the diagrams in state_machines/README.md; True when anything changed."""
    current = README.read_text()
    updated = readme_with_diagrams(current)
    if updated != current:
        write_whole(README, updated)
    return updated != current

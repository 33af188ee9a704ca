"""The replay's text output: the timeline, then the final AWS state."""

from __future__ import annotations

import re

from napstack.emulator.replay import ReplayResult, TimelineRow


def _merged(rows: list[TimelineRow]) -> list[TimelineRow]:
    """Runs of identical watchdog checks (players, grace) become one row: `checks 9-108: active (...)`."""
    merged: list[TimelineRow] = []
    run_start = None
    for row in rows:
        match = re.fullmatch(r"check (\d+): (active|grace) (.*)", row.detail) if row.state == "CountConnections" else None
        previous = merged[-1] if merged else None
        if match and previous and run_start and previous.execution == row.execution and previous.detail.endswith(
            f": {match.group(2)} {match.group(3)}"
        ):
            previous.detail = f"checks {run_start}-{match.group(1)}: {match.group(2)} {match.group(3)}"
            continue
        run_start = match.group(1) if match else None
        merged.append(TimelineRow(**vars(row)))
    return merged


SHOWN_NOT_FIRED = 10  # a file of thousands of faults lists the rest in --json only


READY_FIGURES = {"WakeToLaunchSeconds": "launch", "WakeToRunningTaskSeconds": "a running task",
                 "WakeToReadySeconds": "ready"}


def _ready(result: ReplayResult) -> list[tuple[str, float]]:
    """The ready figures in the order a start goes through them: from the wake to the launch, the task, ready."""
    return [(what, result.ready_figures[name]) for name, what in READY_FIGURES.items() if name in result.ready_figures]


def render(result: ReplayResult) -> str:
    lines = [f"replay of {result.dns_name}, simulated from {result.started_at}"]
    if result.deployment:
        lines.append(f"  deployed: {', '.join(result.deployment['stacks'])}; templates {result.deployment['digest']}"
                     f" from {result.deployment['assembly']}")
    lines += [f"  note: {note}" for note in result.notes]
    lines.append("")
    width = max((len(row.state) for row in result.timeline), default=10)
    for row in _merged(result.timeline):
        machine = f"{row.state_machine}:{row.execution}"[:34]
        lines.append(f"{row.time}  {machine:<34}  {row.state:<{width}}  {row.detail}".rstrip())
    lines += ["", "final state:"]
    # A fixed label column: a long DNS name or count never pushes the values out of line.
    lines += [f"  {label:<22} {value}" for label, value in (
        ("ASG desired capacity", result.asg_desired),
        ("ECS desired count", result.ecs_desired),
        ("DNS name", result.dns_name),
        ("DNS value", result.dns_value or "(no record)"),
        ("checks answered", result.watchdog_checks),  # by the host: a check whose SSM command failed is not one
        ("scaled down after", f"check {result.scaled_down_after_check}" if result.scaled_down_after_check
         else "(did not scale down)"),
        ("lifecycle completed", result.lifecycle_actions_completed),
        *((("from the wake", ", ".join(f"{seconds:g} s to {what}" for what, seconds in _ready(result))),)
          if result.ready_figures else ()),
        *((("faults injected", result.faults_injected),) if result.faults_injected else ()),
        *(("fault not fired", missed) for missed in result.faults_not_fired[:SHOWN_NOT_FIRED]),
        *((("", f"... and {len(result.faults_not_fired) - SHOWN_NOT_FIRED} more (all of them in --json)"),)
          if len(result.faults_not_fired) > SHOWN_NOT_FIRED else ()),
    )]
    lines.append("  executions:")
    for execution in result.executions:
        failure = f"  {execution.error}: {execution.cause}" if execution.error else ""
        lines.append(
            f"    {execution.state_machine:<8} {execution.name:<40} {execution.status:<9} "
            f"{execution.transitions} transitions{failure}"
        )
    lines += [f"  function error: {error}" for error in result.function_errors]
    lines.append("  alerts sent:")
    lines += [f"    {subject}" for subject in result.notifications] or ["    (none)"]
    return "\n".join(lines)

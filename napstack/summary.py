"""Print what a synthesized cloud assembly holds: each stack, its nested stacks, and their resource counts."""

from __future__ import annotations

from pathlib import Path

from napstack.assembly import StackTemplate, load_assembly


def _lines(stack: StackTemplate, depth: int) -> list[str]:
    lines = [f"{'  ' * depth}{stack.name}: {len(stack.resources)} resources"]
    for child in stack.nested.values():
        lines.extend(_lines(child, depth + 1))
    return lines


def summarize(cdk_out: Path) -> list[str]:
    return [line for stack in load_assembly(cdk_out).values() for line in _lines(stack, 0)]

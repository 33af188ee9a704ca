"""The state machine definitions in state_machines/, and the `${Name}` substitutions CloudFormation applies."""

from __future__ import annotations

import re
from pathlib import Path

STATE_MACHINES_DIR = Path(__file__).resolve().parent.parent / "state_machines"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def asl_file(name: str) -> Path:
    return STATE_MACHINES_DIR / f"{name}.asl.json"


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def substitute(text: str, values: dict[str, str]) -> str:
    """What CloudFormation's DefinitionSubstitutions does, but strict: a missing or unused name is an error."""
    missing, unused = placeholders(text) - set(values), set(values) - placeholders(text)
    if missing or unused:
        raise ValueError(f"substitutions do not fit the definition: missing {sorted(missing)}, unused {sorted(unused)}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)

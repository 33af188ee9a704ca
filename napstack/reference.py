"""The config reference (CONFIG.md) and JSON Schemas, generated from the pydantic models so they cannot drift."""

from __future__ import annotations

import json
from pathlib import Path

from napstack.config import BASE_SCHEMA_FILE, SCHEMA_FILE, json_schemas
from napstack.leftovers import write_whole

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "examples"
REFERENCE_FILE = ROOT / "CONFIG.md"


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _type_text(schema: dict, node: dict) -> str:
    if "anyOf" in node:
        return " or ".join(_type_text(schema, option) for option in node["anyOf"])
    if "$ref" in node:
        return "mapping"
    if "enum" in node:
        return " \\| ".join(f"`{value}`" for value in node["enum"])
    if node.get("type") == "array":
        return f"list of {_type_text(schema, node['items'])}"
    if node.get("type") == "object":
        return f"mapping of text to {_type_text(schema, node.get('additionalProperties', {}))}"
    return {"integer": "integer", "number": "number", "string": "text", "boolean": "true/false", "null": "none"}.get(
        node.get("type", ""), "any"
    )


def _default_text(node: dict, required: bool) -> str:
    if required:
        return "**required**"
    return f"`{json.dumps(node['default'])}`" if "default" in node else ""


def _rows(schema: dict, model: dict, prefix: str = "") -> list[str]:
    rows = []
    for key, node in model.get("properties", {}).items():
        path = f"{prefix}{key}"
        rows.append(
            f"| `{path}` | {_type_text(schema, node)} | {_default_text(node, key in model.get('required', []))} "
            f"| {node.get('description', _resolve(schema, node).get('description', '')).strip()} |"
        )
        target = node.get("items", node) if node.get("type") == "array" else node
        options = target.get("anyOf", [target])
        for option in options:
            if "$ref" in option:
                rows.extend(_rows(schema, _resolve(schema, option), f"{path}{'[]' if target is not node else ''}."))
    return rows


def reference_markdown() -> str:
    schemas = json_schemas()
    header = "| key | type | default | meaning |\n|---|---|---|---|"
    return "\n".join(
        [
            "# Config reference",
            "",
            "Generated from `napstack/config.py` by `python -m napstack schema`; a test fails when it is stale.",
            "Keys are PascalCase; unknown keys are errors. Examples: `examples/*.yaml`.",
            "",
            "## Game config (one file per container)",
            "",
            header,
            *_rows(schemas[SCHEMA_FILE], schemas[SCHEMA_FILE]),
            "",
            "A port is `25565/tcp`, `2456-2457/udp` or `{Protocol: udp, Port: 2456, ToPort: 2457}`.",
            "",
            "## Base config (`base.yaml`, shared by every game)",
            "",
            header,
            *_rows(schemas[BASE_SCHEMA_FILE], schemas[BASE_SCHEMA_FILE]),
            "",
        ]
    )


def generated_files() -> dict[Path, str]:
    files = {SCHEMA_DIR / name: json.dumps(schema, indent=2) + "\n" for name, schema in json_schemas().items()}
    files[REFERENCE_FILE] = reference_markdown()
    return files


def write_generated_files() -> list[Path]:
    written = []
    for path, text in generated_files().items():
        write_whole(path, text)
        written.append(path)
    return written

"""Read a synthesized cloud assembly (cdk.out): stacks, their nested stacks and templates."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class StackTemplate:
    name: str
    template: dict
    nested: dict[str, "StackTemplate"] = field(default_factory=dict)

    @property
    def resources(self) -> dict:
        return self.template.get("Resources", {})


def nested_stack_name(logical_id: str) -> str:
    """`EfsNestedStackEfsNestedStackResource7E836D91` -> `Efs`."""
    return logical_id.split("NestedStack")[0]


def _asset_file(template_url, assets: dict) -> str | None:
    parts = template_url.get("Fn::Join", [None, []])[1] if isinstance(template_url, dict) else []
    tail = parts[-1] if parts and isinstance(parts[-1], str) else ""
    asset_hash = tail.rsplit("/", 1)[-1].removesuffix(".json")
    return assets.get(asset_hash, {}).get("source", {}).get("path")


def _load(cdk_out: Path, name: str, template_file: str, assets: dict) -> StackTemplate:
    stack = StackTemplate(name, json.loads((cdk_out / template_file).read_text()))
    for logical_id, resource in stack.resources.items():
        if resource["Type"] != "AWS::CloudFormation::Stack":
            continue
        nested_file = _asset_file(resource["Properties"]["TemplateURL"], assets)
        if nested_file:
            child = nested_stack_name(logical_id)
            stack.nested[child] = _load(cdk_out, child, nested_file, assets)
    return stack


def load_assembly(cdk_out: str | Path) -> dict[str, StackTemplate]:
    cdk_out = Path(cdk_out)
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    stacks = {}
    for name, artifact in manifest["artifacts"].items():
        if artifact["type"] != "aws:cloudformation:stack":
            continue
        assets_file = cdk_out / f"{name}.assets.json"
        assets = json.loads(assets_file.read_text())["files"] if assets_file.is_file() else {}
        stacks[name] = _load(cdk_out, name, artifact["properties"]["templateFile"], assets)
    return stacks

"""Read a synthesized cloud assembly (cdk.out): stacks, their nested stacks, templates and file assets."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path


class AssemblyError(ValueError):
    """A cloud assembly that cannot be read; the message names the folder or file."""


@dataclass
class StackTemplate:
    name: str
    template: dict
    nested: dict[str, "StackTemplate"] = field(default_factory=dict)
    region: str = ""
    logical_id: str | None = None  # of the AWS::CloudFormation::Stack resource in its parent
    parent: "StackTemplate | None" = field(default=None, repr=False)
    assets: dict[str, Path] = field(default_factory=dict, repr=False)  # object key -> file or folder in cdk.out
    file: Path | None = None  # the template's file in cdk.out

    @property
    def resources(self) -> dict:
        return self.template.get("Resources", {})

    @property
    def path(self) -> str:
        """`Napstack-MinecraftJava/Watchdog`: how errors name the stack."""
        return f"{self.parent.path}/{self.name}" if self.parent else self.name

    @property
    def top(self) -> "StackTemplate":
        return self.parent.top if self.parent else self

    def walk(self) -> list["StackTemplate"]:
        return [self] + [stack for child in self.nested.values() for stack in child.walk()]


def nested_stack_name(logical_id: str) -> str:
    """`EfsNestedStackEfsNestedStackResource7E836D91` -> `Efs`."""
    return logical_id.split("NestedStack")[0]


def _asset_key(template_url) -> str:
    parts = template_url.get("Fn::Join", [None, []])[1] if isinstance(template_url, dict) else []
    tail = parts[-1] if parts and isinstance(parts[-1], str) else ""
    return tail.rsplit("/", 1)[-1]


def _assets(cdk_out: Path, stack_name: str) -> dict[str, Path]:
    """Each file asset by the object key the template names it with (`<hash>.json`, `<hash>.zip`)."""
    assets_file = cdk_out / f"{stack_name}.assets.json"
    files = json.loads(assets_file.read_text())["files"] if assets_file.is_file() else {}
    return {
        destination["objectKey"]: cdk_out / asset["source"]["path"]
        for asset in files.values()
        for destination in asset.get("destinations", {}).values()
    }


def _load(cdk_out: Path, name: str, template_file: Path, assets: dict, region: str, parent=None, logical_id=None):
    stack = StackTemplate(name, json.loads(template_file.read_text()), region=region, logical_id=logical_id,
                          parent=parent, assets=assets, file=template_file)
    for child_id, resource in stack.resources.items():
        if resource["Type"] != "AWS::CloudFormation::Stack":
            continue
        nested_file = assets.get(_asset_key(resource["Properties"]["TemplateURL"]))
        if nested_file:
            child = nested_stack_name(child_id)
            stack.nested[child] = _load(cdk_out, child, nested_file, assets, region, stack, child_id)
    return stack


def load_assembly(cdk_out: str | Path) -> dict[str, StackTemplate]:
    cdk_out = Path(cdk_out)
    try:
        manifest = json.loads((cdk_out / "manifest.json").read_text())
        stacks = {}
        for name, artifact in manifest["artifacts"].items():
            if artifact["type"] != "aws:cloudformation:stack":
                continue
            region = str(artifact.get("environment", "")).rsplit("/", 1)[-1]
            template = cdk_out / artifact["properties"]["templateFile"]
            stacks[name] = _load(cdk_out, name, template, _assets(cdk_out, name), region)
        missing = sorted({str(path.relative_to(cdk_out)) for stack in stacks.values() for path in stack.assets.values()
                          if not path.exists()})
        if missing:
            raise FileNotFoundError(f"its manifests name {missing[0]}, which is not there")
        return stacks
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:  # JSON errors are ValueErrors
        raise AssemblyError(f"{cdk_out} is not a cloud assembly napstack can read ({type(error).__name__}: {error})") from None


def assembly_digest(stacks: dict[str, StackTemplate]) -> str:
    """A short hash of every template and file asset the stacks deploy: the same digest, the same deployment."""
    digest = hashlib.sha256()
    for stack in stacks.values():
        for each in stack.walk():
            digest.update(json.dumps(each.template, sort_keys=True).encode())
        for key, path in sorted(stack.assets.items()):
            digest.update(key.encode())  # CDK names an asset after the hash of its content
    return digest.hexdigest()[:12]

"""CloudFormation's intrinsic functions, resolved against the emulated resources: just what napstack's templates use.

`Resolver(stacks, resources).resolve(value, stack)` resolves Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select,
Fn::Split and Fn::ImportValue, pseudo parameters, nested stacks' parameters and outputs, and SSM-typed parameters.
A resource's Ref and attributes come from `resources` (the emulated deployment, which creates the resource on first
reference). Anything else is a TemplateError that says which function or resource, where.
"""

from __future__ import annotations

import re
from typing import Protocol

from napstack.assembly import StackTemplate

ACCOUNT_ID = "123456789012"  # moto's account
NO_VALUE = object()  # AWS::NoValue: the property is removed
_SUB_NAME = re.compile(r"\$\{([^}!][^}]*)\}")


class TemplateError(ValueError):
    """Something in the synthesized templates the emulator cannot deploy; the message says what and where."""


class Resources(Protocol):
    def ref(self, stack: StackTemplate, logical_id: str) -> str: ...

    def attribute(self, stack: StackTemplate, logical_id: str, name: str) -> str: ...

    def ssm_parameter(self, stack: StackTemplate, name: str) -> str: ...


class Resolver:
    def __init__(self, stacks: dict[str, StackTemplate], resources: Resources) -> None:
        self.resources = resources
        self._exports = {
            output["Export"]["Name"]: (stack, output["Value"])
            for stack in stacks.values()
            for output in stack.template.get("Outputs", {}).values()
            if isinstance(output.get("Export", {}).get("Name"), str)
        }

    def resolve(self, value, stack: StackTemplate):
        if isinstance(value, list):
            return [item for item in (self.resolve(each, stack) for each in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, argument), = value.items()
            if key == "Ref":
                return self._ref(argument, stack)
            if key.startswith("Fn::"):
                function = _FUNCTIONS.get(key)
                if function is None:
                    raise TemplateError(f"{stack.path}: the emulator cannot resolve {key} (it resolves {', '.join(_FUNCTIONS)})")
                return function(self, argument, stack)
        resolved = {key: self.resolve(item, stack) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    # --- Ref and Fn::GetAtt ---------------------------------------------------------------------------------

    def _ref(self, name: str, stack: StackTemplate):
        pseudo = {
            "AWS::Partition": "aws",
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Region": stack.region,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack.top.name,
            "AWS::StackId": f"arn:aws:cloudformation:{stack.region}:{ACCOUNT_ID}:stack/{stack.top.name}/emulated",
        }
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in pseudo:
            return pseudo[name]
        if name in stack.template.get("Parameters", {}):
            return self._parameter(name, stack)
        if name in stack.resources:
            return self.resources.ref(stack, name)
        raise TemplateError(f"{stack.path}: Ref to {name}, which is no parameter or resource of the stack")

    def _parameter(self, name: str, stack: StackTemplate):
        if stack.parent is not None:  # a nested stack's parameters are what its parent passes, or their default
            passed = stack.parent.resources[stack.logical_id]["Properties"].get("Parameters", {})
            if name in passed:
                return self.resolve(passed[name], stack.parent)
        declared = stack.template["Parameters"][name]
        if str(declared.get("Type", "")).startswith("AWS::SSM::Parameter::Value<"):
            return self.resources.ssm_parameter(stack, declared["Default"])
        if "Default" not in declared:
            raise TemplateError(f"{stack.path}: parameter {name} has no default and nothing passes it")
        return declared["Default"]

    def _get_att(self, argument, stack: StackTemplate):
        logical_id, name = argument.split(".", 1) if isinstance(argument, str) else argument
        resource = stack.resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"{stack.path}: Fn::GetAtt of {logical_id}, which is no resource of the stack")
        if resource["Type"] == "AWS::CloudFormation::Stack" and name.startswith("Outputs."):
            child = next((c for c in stack.nested.values() if c.logical_id == logical_id), None)
            output = name.removeprefix("Outputs.")
            if child is None or output not in child.template.get("Outputs", {}):
                raise TemplateError(f"{stack.path}: Fn::GetAtt of {logical_id}.{name}, which the nested stack does not output")
            return self.resolve(child.template["Outputs"][output]["Value"], child)
        return self.resources.attribute(stack, logical_id, name)

    # --- the string functions ------------------------------------------------------------------------------

    def _sub(self, argument, stack: StackTemplate):
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        variables = {name: self.resolve(value, stack) for name, value in variables.items()}

        def value_of(match: re.Match) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                return str(self._get_att(name, stack))
            return str(self._ref(name, stack))

        return _SUB_NAME.sub(value_of, text).replace("${!", "${")

    def _join(self, argument, stack: StackTemplate) -> str:
        delimiter, items = argument
        return str(delimiter).join(str(item) for item in self.resolve(items, stack))

    def _select(self, argument, stack: StackTemplate):
        index, items = self.resolve(argument, stack)
        return items[int(index)]

    def _split(self, argument, stack: StackTemplate) -> list[str]:
        delimiter, text = self.resolve(argument, stack)
        return str(text).split(delimiter)

    def _import_value(self, argument, stack: StackTemplate):
        name = self.resolve(argument, stack)
        if name not in self._exports:
            raise TemplateError(f"{stack.path}: Fn::ImportValue of {name}, which no stack of the assembly exports")
        exporter, value = self._exports[name]
        return self.resolve(value, exporter)


_FUNCTIONS = {
    "Fn::GetAtt": Resolver._get_att,
    "Fn::Sub": Resolver._sub,
    "Fn::Join": Resolver._join,
    "Fn::Select": Resolver._select,
    "Fn::Split": Resolver._split,
    "Fn::ImportValue": Resolver._import_value,
}

"""What Step Functions checks when a state machine is created: each task's parameter names against the API.

CreateStateMachine refuses a definition whose task passes a field the service's API does not have
(`SCHEMA_VALIDATION_FAILED: The field "DesiredCont" is not supported by Step Functions`); moto accepts anything.
`parameter_problems(definition)` lists each such field with its path, for the integrations napstack uses: every
`aws-sdk:*` task (names as the API model spells them, first letter upper case, nested structures too) and the
optimized `lambda:invoke`, `sns:publish` and `states:startExecution` (top-level names).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from botocore.model import ListShape, StructureShape

from napstack.emulator.moto_gaps import service_model

SDK_SERVICES = {"sfn": "stepfunctions"}  # Step Functions' service names that botocore spells otherwise
OPTIMIZED = {"lambda:invoke": ("lambda", "Invoke"), "sns:publish": ("sns", "Publish"),
             "states:startExecution": ("stepfunctions", "StartExecution")}


@functools.lru_cache(maxsize=None)
def _input_shape(service: str, operation: str):
    model = service_model(service)
    return model.operation_model(operation).input_shape if operation in model.operation_names else None


def _states(states: dict, path: str) -> Iterator[tuple[str, dict]]:
    for name, state in states.items():
        yield f"{path}/{name}", state
        for index, branch in enumerate(state.get("Branches", [])):
            yield from _states(branch.get("States", {}), f"{path}/{name}/Branches[{index}]/States")
        for key in ("Iterator", "ItemProcessor"):
            if isinstance(state.get(key), dict):
                yield from _states(state[key].get("States", {}), f"{path}/{name}/{key}/States")


def _sfn_name(member: str) -> str:
    return member[:1].upper() + member[1:]


def _unknown_fields(parameters, shape, path: str, recurse: bool) -> Iterator[str]:
    if isinstance(shape, ListShape) and isinstance(parameters, list):
        for index, item in enumerate(parameters):
            yield from _unknown_fields(item, shape.member, f"{path}[{index}]", recurse)
        return
    if not isinstance(shape, StructureShape) or not isinstance(parameters, dict):
        return
    members = {_sfn_name(name): member for name, member in shape.members.items()}
    for key, value in parameters.items():
        field = key.removesuffix(".$")
        if field not in members:
            yield f'The field "{field}" is not supported by Step Functions at {path}'
        elif recurse and not key.endswith(".$"):
            yield from _unknown_fields(value, members[field], f"{path}/{field}", recurse)


def _integration(resource: str) -> tuple[str, str, bool] | None:
    """(botocore service, operation, whether nested names are checked) of a task's Resource, if napstack's kind."""
    tail = resource.removeprefix("arn:aws:states:::")
    if tail == resource:
        return None
    if tail.startswith("aws-sdk:"):
        _, service, action = tail.split(":", 2)
        return SDK_SERVICES.get(service, service), _sfn_name(action.split(".")[0]), True
    optimized = OPTIMIZED.get(tail.split(".")[0])
    return (*optimized, False) if optimized else None


def parameter_problems(definition: dict) -> list[str]:
    problems = []
    for path, state in _states(definition.get("States", {}), "/States"):
        integration = _integration(str(state.get("Resource", ""))) if state.get("Type") == "Task" else None
        if integration is None:
            continue
        service, operation, recurse = integration
        shape = _input_shape(service, operation)
        if shape is None:
            problems.append(f"{path}: {service} has no API action {operation}")
            continue
        for key in ("Parameters", "Arguments"):
            problems.extend(_unknown_fields(state.get(key, {}), shape, f"{path}/{key}", recurse))
    return problems

"""A Standard state machine whose definition is state_machines/<file>.asl.json, the same file the emulator runs."""

from aws_cdk import ArnFormat, Stack, aws_iam as iam, aws_stepfunctions as sfn
from constructs import Construct

from napstack.asl import asl_file
from stacks.acknowledge import acknowledge, acknowledge_wildcards
from stacks.log_group import state_machine_log_group

def state_machine_arn(scope: Construct, state_machine_name: str) -> str:
    """The ARN a named state machine will have, usable before it exists (no circular references)."""
    return Stack.of(scope).format_arn(
        service="states",
        resource="stateMachine",
        resource_name=state_machine_name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def napstack_state_machine(
    scope: Construct,
    construct_id: str,
    *,
    asl_name: str,
    state_machine_name: str,
    substitutions: dict[str, str],
) -> tuple[sfn.StateMachine, iam.Role]:
    role = iam.Role(scope, f"{construct_id}Role", assumed_by=iam.ServicePrincipal("states.amazonaws.com"))
    log_group = state_machine_log_group(scope, f"{construct_id}Logs", state_machine_name)
    state_machine = sfn.StateMachine(
        scope,
        construct_id,
        state_machine_name=state_machine_name,
        state_machine_type=sfn.StateMachineType.STANDARD,
        definition_body=sfn.DefinitionBody.from_file(str(asl_file(asl_name))),
        definition_substitutions=substitutions,
        role=role,
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ERROR, include_execution_data=False),
    )
    acknowledge(
        state_machine,
        "AwsSolutions-SF1",
        "Every execution's history is in the Step Functions console; logging ALL events would bill CloudWatch per check.",
    )
    acknowledge(state_machine, "AwsSolutions-SF2", "X-Ray traces are billed per check and add nothing the history lacks.")
    acknowledge_wildcards(
        role,
        "Step Functions' log delivery calls (logs:*LogDelivery, resource policies) support no resource scoping.",
        resources=["*"],
    )
    return state_machine, role

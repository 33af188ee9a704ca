"""A napstack Lambda: code from functions/<name>/, Powertools from its public layer, logs with retention."""

from importlib.metadata import version
from pathlib import Path

from aws_cdk import CfnDynamicReference, CfnDynamicReferenceService, Duration, aws_lambda as lambda_
from constructs import Construct

from stacks.acknowledge import acknowledge_managed_policies
from stacks.log_group import napstack_log_group

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.X86_64
# The installed package (constraints.txt pins it) is the one the handler tests run.
POWERTOOLS_VERSION = version("aws-lambda-powertools")


def powertools_layer_parameter(release: str = POWERTOOLS_VERSION) -> str:
    """The public SSM parameter AWS keeps for each Powertools release's layer (per architecture and runtime).

    The version is the package the tests run (constraints.txt pins it), so production runs what was tested;
    CloudFormation resolves the parameter in the stack's region at deploy time, no lookup at synth.
    """
    return f"/aws/service/powertools/python/{ARCHITECTURE.name}/{RUNTIME.name}/{release}"


def napstack_function(
    scope: Construct, construct_id: str, *, name: str, environment: dict[str, str], timeout: Duration
) -> lambda_.Function:
    """The function whose handler is functions/<name>/app.py:handler, with exactly `environment`."""
    layer_arn = CfnDynamicReference(CfnDynamicReferenceService.SSM, powertools_layer_parameter()).to_string()
    layer = lambda_.LayerVersion.from_layer_version_arn(scope, f"{construct_id}Powertools", layer_arn)
    log_group = napstack_log_group(scope, f"{construct_id}Logs")
    function = lambda_.Function(
        scope,
        construct_id,
        runtime=RUNTIME,
        architecture=ARCHITECTURE,
        code=lambda_.Code.from_asset(str(FUNCTIONS_DIR / name), exclude=["__pycache__", "*.pyc", "tests"]),
        handler="app.handler",
        layers=[layer],
        timeout=timeout,
        memory_size=256,
        environment=environment,
        log_group=log_group,
    )
    acknowledge_managed_policies(
        function,
        ["service-role/AWSLambdaBasicExecutionRole"],
        "AWSLambdaBasicExecutionRole only lets the function write its own logs.",
    )
    return function

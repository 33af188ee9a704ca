"""A napstack Lambda: code from functions/<name>/, Powertools from its public layer, logs with retention."""

from pathlib import Path

from aws_cdk import Duration, Fn, aws_lambda as lambda_
from constructs import Construct

from stacks.acknowledge import acknowledge_managed_policies
from stacks.log_group import napstack_log_group

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
RUNTIME = lambda_.Runtime.PYTHON_3_14
# The newest Powertools v3 layer published for python3.14 on x86_64 in every commercial region.
POWERTOOLS_LAYER = "arn:${AWS::Partition}:lambda:${AWS::Region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python314-x86_64:27"


def napstack_function(
    scope: Construct, construct_id: str, *, name: str, environment: dict[str, str], timeout: Duration
) -> lambda_.Function:
    """The function whose handler is functions/<name>/app.py:handler, with exactly `environment`."""
    layer = lambda_.LayerVersion.from_layer_version_arn(scope, f"{construct_id}Powertools", Fn.sub(POWERTOOLS_LAYER))
    log_group = napstack_log_group(scope, f"{construct_id}Logs")
    function = lambda_.Function(
        scope,
        construct_id,
        runtime=RUNTIME,
        architecture=lambda_.Architecture.X86_64,
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

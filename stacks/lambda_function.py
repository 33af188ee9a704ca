"""A napstack Lambda: code from functions/<name>/, Powertools from its public layer, logs with retention."""

import atexit
import functools
import os
import shutil
import tempfile
from importlib.metadata import distribution, version
from pathlib import Path

from packaging.requirements import Requirement

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


def _distributions(names: list[str]) -> list:
    """The installed distributions `names` need, their own requirements included (extras left out)."""
    found, queue = {}, list(names)
    while queue:
        dist = distribution(queue.pop())
        if dist.metadata["Name"].lower() in found:
            continue
        found[dist.metadata["Name"].lower()] = dist
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                queue.append(requirement.name)
    return list(found.values())


@functools.lru_cache(maxsize=None)
def code_folder(name: str) -> str:
    """functions/<name>; with a requirements.txt, a copy with those packages beside the code, copied from this
    environment (constraints.txt pins them: the versions the tests ran). Pure Python only: no Docker here to build
    a native package for Lambda's platform. Built once per process: every synth in it packages the same files."""
    source = FUNCTIONS_DIR / name
    requirements = source / "requirements.txt"
    if not requirements.is_file():
        return str(source)
    staging = Path(tempfile.mkdtemp(prefix=f"napstack-{name}-p{os.getpid()}-"))  # napstack/leftovers.py sweeps it after a SIGKILL
    atexit.register(shutil.rmtree, staging, True)
    shutil.copytree(source, staging, ignore=shutil.ignore_patterns(*EXCLUDED, "requirements.txt"), dirs_exist_ok=True)
    wanted = [line.split("#")[0].strip() for line in requirements.read_text().splitlines()]
    for dist in _distributions([w for w in wanted if w]):
        for file in dist.files or []:
            if file.parts[0] == ".." or "__pycache__" in file.parts or file.suffix == ".pyc":
                continue  # console scripts, byte code
            if file.parts[0].endswith(".dist-info") and file.name in INSTALL_RECORDS:
                continue
            if file.suffix in (".so", ".pyd"):
                raise ValueError(f"{dist.metadata['Name']} is not pure Python ({file}): it cannot be bundled for Lambda here")
            target = staging / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file.locate(), target)
    return str(staging)


EXCLUDED = ["__pycache__", "*.pyc", "tests"]
# What pip wrote about one install, not the package: RECORD hashes the console scripts, whose shebang names the
# venv, and REQUESTED/direct_url.json say how it was asked for. Copied, they made the asset's hash (and the
# deployment's) depend on where the venv lives.
INSTALL_RECORDS = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


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
        code=lambda_.Code.from_asset(code_folder(name), exclude=EXCLUDED),
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

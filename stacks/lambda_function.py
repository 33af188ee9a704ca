"""A napstack Lambda: code from functions/<name>/ with its packages (Powertools among them) beside it, logs with
retention."""

import atexit
import functools
import os
import shutil
import tempfile
from pathlib import Path

from aws_cdk import Duration, aws_lambda as lambda_
from constructs import Construct

from napstack.function_modules import SHARED_LIST, shared_modules
from stacks.acknowledge import acknowledge_managed_policies
from stacks.lambda_packages import FUNCTIONS_DIR, closure, requirements
from stacks.log_group import napstack_log_group

RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.X86_64


@functools.lru_cache(maxsize=None)
def code_folder(name: str) -> str:
    """functions/<name>; with a requirements.txt or a shared.txt, a copy with beside the code those packages, copied
    from the install built for Lambda's runtime and architecture (stacks/lambda_packages.py: constraints.txt pins
    them, the versions the tests ran), and those modules of functions/shared/ (one file in the repo, a copy in each
    asset: functions deploy alone and cannot import one another). No layer: AWS's public Powertools layer is
    missing for some releases and regions. Built once per process: every synth in it packages the same files."""
    source = FUNCTIONS_DIR / name
    requirements_file = source / "requirements.txt"
    shared = shared_modules(source)
    if not requirements_file.is_file() and not shared:
        return str(source)
    staging = Path(tempfile.mkdtemp(prefix=f"napstack-{name}-p{os.getpid()}-"))  # napstack/leftovers.py sweeps it after a SIGKILL
    atexit.register(shutil.rmtree, staging, True)
    shutil.copytree(source, staging, ignore=shutil.ignore_patterns(*EXCLUDED, "requirements.txt", SHARED_LIST),
                    dirs_exist_ok=True)
    for module in shared:
        shutil.copyfile(module, staging / module.name)
    packages = requirements(requirements_file) if requirements_file.is_file() else []
    for dist in closure(packages) if packages else []:
        for file in dist.files or []:
            if file.parts[0] == ".." or "__pycache__" in file.parts or file.suffix == ".pyc":
                continue  # console scripts, byte code
            if file.parts[0].endswith(".dist-info") and file.name in INSTALL_RECORDS:
                continue
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
    scope: Construct,
    construct_id: str,
    *,
    name: str,
    environment: dict[str, str],
    timeout: Duration,
    memory_size: int = 256,
) -> lambda_.Function:
    """The function whose handler is functions/<name>/app.py:handler, with exactly `environment`."""
    log_group = napstack_log_group(scope, f"{construct_id}Logs")
    function = lambda_.Function(
        scope,
        construct_id,
        runtime=RUNTIME,
        architecture=ARCHITECTURE,
        code=lambda_.Code.from_asset(code_folder(name), exclude=EXCLUDED),
        handler="app.handler",
        timeout=timeout,
        memory_size=memory_size,
        environment=environment,
        log_group=log_group,
    )
    acknowledge_managed_policies(
        function,
        ["service-role/AWSLambdaBasicExecutionRole"],
        "AWSLambdaBasicExecutionRole only lets the function write its own logs.",
    )
    return function

"""The packages the functions bundle, installed once for Lambda's platform: `make setup` runs this module.

Lambda runs python3.14 on Amazon Linux (x86_64 here), not this machine's interpreter: a package with compiled parts
(pydantic-core) must be the wheel built for that interpreter and machine, not the one the tests import. So setup
installs every functions/*/requirements.txt, at the versions constraints.txt pins (the ones the tests ran), from
PyPI's manylinux wheels for Lambda's runtime into .venv/lambda-packages/ (`pip install --platform`, as AWS's
"Working with .zip file archives for Python Lambda functions" page does). Synth then only copies files from there:
it never downloads, so it runs offline, and it stops with what to run when the folder is missing or stale.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import Distribution, distributions
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = ROOT / "functions"
CONSTRAINTS = ROOT / "constraints.txt"
SITE = ROOT / ".venv" / "lambda-packages"
STAMP = SITE / "napstack-platform.json"
# glibc: manylinux2014 is what AWS's page installs; Amazon Linux 2023 (python3.12 and later) has glibc 2.34.
MANYLINUX = ("manylinux2014", "manylinux_2_28", "manylinux_2_34")


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


class BundleError(Exception):
    """The Lambda packages are missing, stale or not built for Lambda: the message says what to run."""


def lambda_platform() -> dict:
    """Lambda's interpreter and machine, from the functions' runtime and architecture (stacks/lambda_function.py)."""
    from stacks.lambda_function import ARCHITECTURE, RUNTIME

    machine = {"x86_64": "x86_64", "arm64": "aarch64"}[ARCHITECTURE.name]
    return {"python": RUNTIME.name.removeprefix("python"), "machine": machine, "inputs": _inputs_digest()}


def requirement_files() -> list[Path]:
    return sorted(FUNCTIONS_DIR.glob("*/requirements.txt"))


def requirements(file: Path) -> list[Requirement]:
    lines = (line.split("#")[0].strip() for line in file.read_text().splitlines())
    return [Requirement(line) for line in lines if line]


def _inputs_digest() -> str:
    """What the folder was installed from: a change to the pins or to a function's requirements makes it stale."""
    digest = hashlib.sha256(CONSTRAINTS.read_bytes())
    for file in requirement_files():
        digest.update(file.relative_to(ROOT).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def lambda_tags(platform: dict) -> set[Tag]:
    """The wheel tags Lambda's interpreter accepts (pure-Python wheels among them)."""
    major, minor = (int(part) for part in platform["python"].split("."))
    platforms = [f"{glibc}_{platform['machine']}" for glibc in MANYLINUX]
    abi = f"cp{major}{minor}"
    return set(cpython_tags((major, minor), [abi, "abi3", "none"], platforms)) | set(
        compatible_tags((major, minor), abi, platforms)
    )


def _marker_environment(platform: dict) -> dict[str, str]:
    """Where requirement markers are evaluated: Lambda's interpreter, not this one."""
    return {
        **default_environment(),
        "python_version": platform["python"],
        "python_full_version": f"{platform['python']}.0",
        "implementation_version": f"{platform['python']}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "platform_machine": platform["machine"],
        "platform_system": "Linux",
        "sys_platform": "linux",
        "os_name": "posix",
    }


def wheel_tags(dist: Distribution) -> set[Tag]:
    """The tags of the wheel a distribution was installed from (its WHEEL file)."""
    lines = (dist.read_text("WHEEL") or "").splitlines()
    return {Tag(*line.split(":", 1)[1].strip().split("-")) for line in lines if line.startswith("Tag:")}


def installed_for_lambda() -> dict[str, Distribution]:
    """The distributions in SITE by canonical name, after checking the folder matches today's pins and platform."""
    wanted = lambda_platform()
    try:
        stamp = json.loads(STAMP.read_text())
    except (OSError, ValueError):
        stamp = None
    if stamp != wanted:
        state = "is missing" if stamp is None else "is stale (constraints.txt, a requirements.txt or the runtime changed)"
        raise BundleError(f"{_shown(SITE)} {state}: run `make setup` to install the functions' packages for Lambda")
    return {canonicalize_name(d.metadata["Name"]): d for d in distributions(path=[str(SITE)])}


def closure(wanted: list[Requirement]) -> list[Distribution]:
    """The Lambda-platform distributions `wanted` need, their own requirements and the extras asked for included."""
    platform, installed = lambda_platform(), installed_for_lambda()
    accepted = lambda_tags(platform)
    environment = _marker_environment(platform)
    found: dict[str, Distribution] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    queue = list(wanted)
    while queue:
        requirement = queue.pop()
        name, extras = canonicalize_name(requirement.name), frozenset(requirement.extras)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        dist = installed.get(name)
        if dist is None:
            raise BundleError(f"{requirement.name} is not in {_shown(SITE)}: run `make setup`")
        tags = wheel_tags(dist)
        if not tags & accepted:
            raise BundleError(
                f"{name} in {_shown(SITE)} is built for {', '.join(sorted(map(str, tags)))}, not for Lambda's "
                f"python{platform['python']} on {platform['machine']}: run `make setup`"
            )
        found[name] = dist
        for text in dist.requires or []:
            needed = Requirement(text)
            if needed.marker is None or any(needed.marker.evaluate({**environment, "extra": e}) for e in {"", *extras}):
                queue.append(needed)
    return list(found.values())


def install() -> None:
    """Install every function's requirements for Lambda into SITE, replacing it whole (never half-written)."""
    platform = lambda_platform()
    names = sorted({str(r) for file in requirement_files() for r in requirements(file)})
    staging = Path(tempfile.mkdtemp(prefix="lambda-packages-", dir=SITE.parent))
    try:
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
                   "--target", str(staging), "--only-binary=:all:", "--implementation", "cp",
                   "--python-version", platform["python"], "--abi", f"cp{platform['python'].replace('.', '')}",
                   *(arg for glibc in MANYLINUX for arg in ("--platform", f"{glibc}_{platform['machine']}")),
                   "-c", str(CONSTRAINTS), *names]
        subprocess.run(command, check=True)
        shutil.rmtree(staging / "bin", ignore_errors=True)  # console scripts: no function runs them
        (staging / STAMP.name).write_text(json.dumps(platform))
        shutil.rmtree(SITE, ignore_errors=True)
        staging.rename(SITE)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


if __name__ == "__main__":
    try:
        install()
    except subprocess.CalledProcessError as error:
        sys.exit(f"napstack: installing the functions' packages for Lambda failed (pip exit {error.returncode}); "
                 "it needs PyPI once, at set-up")
    print(f"installed the functions' packages for Lambda into {_shown(SITE)}")

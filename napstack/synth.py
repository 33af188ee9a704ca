"""Synthesize a config's cloud assembly in-process, as `cdk synth` would, and keep it for the next replay.

The emulator replays what deploys: its world is read from this assembly. Synthesizing takes seconds, so each
assembly is kept under the cache folder (NAPSTACK_CACHE, default ~/.cache/napstack), named after a hash of
everything that shapes it: the config, the files the templates and assets are made from, cdk.json and the
installed packages (CDK, cdk-nag, the ones copied into function assets). A change to any of them synthesizes
anew; an entry that cannot be read is synthesized again. The same inputs give the same templates wherever the
checkout or the venv lives, and the same as `cdk synth`: the same hash, the same deployment.
"""

from __future__ import annotations

import atexit
import errno
import functools
import hashlib
import json
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

from napstack.config import NapstackConfig
from napstack.leftovers import jsii_temp_folder, owned_prefix

ROOT = Path(__file__).resolve().parent.parent
# Everything the templates and assets are made from: the stacks, the state machines, the functions' code, the
# napstack modules the stacks import (tests/test_synth.py checks), this file (the context below), cdk.json and cdk.context.json (the CLI's).
SOURCES = ("stacks", "state_machines", "functions", "napstack/config.py", "napstack/settings.py",
           "napstack/app_builder.py", "napstack/asl.py", "napstack/function_modules.py", "napstack/cost.py", "napstack/query_filter.py", "napstack/inputs.py", "napstack/image_registry.py",
           "napstack/prices.json", "napstack/instance_types.json", "napstack/synth.py", "cdk.json", "cdk.context.json")
# Beside the templates: the config the assembly was synthesized from (`replay --assembly` compares it).
CONFIG_RECORD = "napstack.config.json"


class SynthError(Exception):
    """An assembly that could not be written (a full disk); the message says where and what to do."""


@functools.lru_cache(maxsize=1)
def _sources_digest() -> str:
    digest = hashlib.sha256()
    for source in SOURCES:
        path = ROOT / source
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path] if path.is_file() else []
        for file in files:
            if "__pycache__" not in file.parts and file.suffix != ".pyc":
                digest.update(str(file.relative_to(ROOT).as_posix()).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


# What `make setup` installs for Lambda's platform and synth copies into the function assets (stacks/lambda_packages.py's
# SITE; named here so that computing a key does not import the packaging machinery).
LAMBDA_PACKAGES = ROOT / ".venv" / "lambda-packages"


@functools.lru_cache(maxsize=1)
def installed_packages() -> tuple[str, ...]:
    """Every distribution installed in this environment and for Lambda, name and version
    (`lambda: mcstatus-12.0.1.dist-info`): CDK and cdk-nag shape the templates, the Lambda installs are copied into
    the assets. Read from the folder names, without opening a file, and independent of where the environment lives."""
    venv = sorted({sysconfig.get_paths()[kind] for kind in ("purelib", "platlib")})
    return tuple(sorted({
        prefix + entry.name for prefix, folder in [*(("venv: ", f) for f in venv), ("lambda: ", LAMBDA_PACKAGES)]
        if os.path.isdir(folder) for entry in os.scandir(folder) if entry.name.endswith((".dist-info", ".egg-info"))
    }))


def config_record(config: NapstackConfig) -> dict:
    """What of a config shapes its assembly: every value, by its YAML name (not where its file lives)."""
    return config.model_dump(mode="json", by_alias=True, exclude={"source"})


def cdk_context() -> dict:
    """The context `cdk synth` gives the app (aws-cdk 2.x, `config` aside): its defaults with cdk.json's settings
    (metadata on, version reporting off: the CDK::Metadata resource would name this machine's Python release),
    cdk.context.json's lookups, cdk.json's context. tests/test_synth.py checks it against the CLI's."""
    settings = json.loads((ROOT / "cdk.json").read_text())
    lookups = ROOT / "cdk.context.json"
    return {
        **(json.loads(lookups.read_text()) if lookups.is_file() else {}),
        **settings.get("context", {}),
        "aws:cdk:enable-path-metadata": settings.get("pathMetadata", True),
        "aws:cdk:enable-asset-metadata": settings.get("assetMetadata", True),
        "aws:cdk:version-reporting": settings.get("versionReporting", True),
        "aws:cdk:bundling-stacks": ["**"],
        "@aws-cdk/core:failSynthOnValidationErrors": False,
    }


def synth_app(config: NapstackConfig, app) -> Path:
    """`app.synth()` (app.py under `cdk synth`, or in-process), and beside the templates the config's record."""
    folder = Path(app.synth().directory)
    record = {"source": config.source, "config": config_record(config)}
    (folder / CONFIG_RECORD).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return folder


def _flat(value, prefix: str = "") -> dict:
    if isinstance(value, dict) and value:
        return {k: v for key, item in value.items() for k, v in _flat(item, f"{prefix}{key}.").items()}
    return {prefix.rstrip("."): value}


def config_differences(folder: Path, config: NapstackConfig) -> tuple[str, list[str]]:
    """The config file the assembly in `folder` was synthesized from, and the keys where `config` differs from it
    (`Watchdog.IdleChecks`, `base: AlertEmails`); none for an assembly without a record (an older napstack's)."""
    from napstack.assembly import AssemblyError
    from napstack.inputs import InputError, read_text

    file = folder / CONFIG_RECORD
    if not file.exists():
        return "", []
    try:
        record = json.loads(read_text(file))  # bounded, a regular file: the folder is the user's to hand over
        recorded, source = _flat(record["config"]), str(record["source"])
    except InputError as error:
        raise AssemblyError(str(error)) from None
    except (ValueError, KeyError, TypeError, RecursionError) as error:
        raise AssemblyError(f"{file} cannot be read ({type(error).__name__}: {str(error)[:200]})") from None
    current = _flat(config_record(config))
    keys = sorted(k for k in recorded.keys() | current.keys() if recorded.get(k, None) != current.get(k, None))
    return source, [key.removeprefix("leaf.").replace("base.", "base: ", 1) for key in keys]


def synthesize(config: NapstackConfig, outdir: Path) -> Path:
    """`cdk synth` for `config` into `outdir`, with the CLI's context, without CloudFormation validation or nag."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")  # before jsii starts node
    with jsii_temp_folder():
        import aws_cdk as cdk

    from napstack.app_builder import build_app
    from stacks.lambda_packages import BundleError

    try:
        app = cdk.App(outdir=str(outdir), context=cdk_context(), builtin_cloud_formation_validation=False)
        build_app(config, app, nag=False)
        return synth_app(config, app)
    except BundleError as error:  # the functions' packages for Lambda are not installed: `make setup`
        raise SynthError(f"cannot package the functions: {error}") from None
    except Exception as error:  # node's errors reach Python as RuntimeError("ENOSPC: no space left on device, ...")
        if getattr(error, "errno", None) == errno.ENOSPC or "ENOSPC" in str(error):
            raise SynthError(f"no space left on the device to write the assembly in {outdir.parent}: free some space, "
                             "or set NAPSTACK_CACHE (and TMPDIR) to a folder on another disk") from None
        raise


def assembly_key(config: NapstackConfig) -> str:
    """The same key for the same config, sources and packages; another one when any of them changes."""
    shaping = [_sources_digest(), installed_packages(), config_record(config)]
    return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()[:24]


def cache_folder() -> Path:
    return Path(os.environ.get("NAPSTACK_CACHE") or Path.home() / ".cache" / "napstack") / "assemblies"


# Every file of a cache entry and its size, written as the entry is made: a file emptied, cut short, replaced or
# gone since (a disk error, a hand edit, an interrupted copy) makes the entry one to build again, not one to replay.
FILES_RECORD = "napstack-files.json"


def _file_sizes(folder: Path) -> dict[str, int]:
    return {str(path.relative_to(folder)): path.stat().st_size for path in folder.rglob("*")
            if path.is_file() and path.name != FILES_RECORD}


def _readable(folder: Path) -> bool:
    from napstack.assembly import AssemblyError, load_assembly

    try:
        if json.loads((folder / FILES_RECORD).read_text()) != _file_sizes(folder):
            return False
        return bool(load_assembly(folder))
    except (AssemblyError, OSError, ValueError):
        return False


_FOR_THIS_RUN: dict[str, Path] = {}  # key -> an assembly synthesized outside an unwritable cache, removed at exit


def _for_this_run(config: NapstackConfig, key: str, why: OSError) -> Path:
    """No cache to write to: synthesize into a temporary folder, said once and removed when the process ends."""
    if key not in _FOR_THIS_RUN:
        if not _FOR_THIS_RUN:
            print(f"napstack: cannot keep assemblies in {cache_folder()} ({why.strerror or why}): synthesizing for this "
                  "run only; set NAPSTACK_CACHE to a writable folder to keep them", file=sys.stderr)
        outdir = Path(tempfile.mkdtemp(prefix=owned_prefix("napstack-cdk.out-")))
        atexit.register(shutil.rmtree, outdir, True)
        try:
            synthesize(config, outdir)
        except BaseException:
            shutil.rmtree(outdir, ignore_errors=True)
            raise
        _FOR_THIS_RUN[key] = outdir
    return _FOR_THIS_RUN[key]


def cached_assembly(config: NapstackConfig) -> Path:
    """The config's assembly, synthesized once for these inputs; whole or not at all (staged, then renamed)."""
    key = assembly_key(config)
    folder = cache_folder() / key
    if folder.is_dir():
        if _readable(folder):
            return folder
        shutil.rmtree(folder, ignore_errors=True)  # damaged (a disk error, a hand edit): built again below
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=owned_prefix(f".{key}-"), dir=folder.parent))
    except OSError as error:  # a read-only home, a cache path that is a file, a full disk
        return _for_this_run(config, key, error)
    try:
        synthesize(config, staging)
        (staging / FILES_RECORD).write_text(json.dumps(_file_sizes(staging)))
        staging.rename(folder)  # another process may have won the race: its entry is as good
    except OSError:
        if not _readable(folder):
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder

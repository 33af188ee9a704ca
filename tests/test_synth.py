"""The assembly and its cache: the same inputs give the same assembly and hash wherever they live; the cache's key
covers every input; a damaged entry is rebuilt, an unwritable cache or a full disk is one line, nothing left."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from napstack import synth
from napstack.config import load_config
from tests.conftest import ROOT
from tests.test_config import GOOD, with_changes, write_configs

MINECRAFT = ROOT / "examples" / "minecraft-java.yaml"


def _copying(made: list, source: Path):
    """synthesize() as a copy of a real assembly: the cache's logic without a synth's seconds."""
    def synthesize(config, outdir: Path) -> Path:
        made.append(outdir)
        shutil.copytree(source, outdir, dirs_exist_ok=True)
        return outdir
    return synthesize


def test_the_key_changes_with_the_config_and_only_then(tmp_path):
    config = load_config(ROOT / "examples" / "minecraft-java.yaml")
    same = load_config(ROOT / "examples" / "minecraft-java.yaml")
    good = load_config(write_configs(tmp_path, GOOD))
    (tmp_path / "other").mkdir()
    other = load_config(write_configs(tmp_path / "other", with_changes(Watchdog__IdleChecks=7)))
    assert synth.assembly_key(config) == synth.assembly_key(same) != synth.assembly_key(good) != synth.assembly_key(other)


def test_a_cached_assembly_is_reused(tmp_path, monkeypatch):
    config = load_config(MINECRAFT)
    made = []
    monkeypatch.setattr(synth, "synthesize", _copying(made, synth.cached_assembly(config)))
    monkeypatch.setenv("NAPSTACK_CACHE", str(tmp_path / "cache"))
    first, second = synth.cached_assembly(config), synth.cached_assembly(config)
    assert first == second == tmp_path / "cache" / "assemblies" / synth.assembly_key(config) and len(made) == 1
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".")]  # no staging folder left behind


# --- the same inputs, the same assembly -------------------------------------------------------------------

CHECKOUT = ("app.py", "cdk.json", "package.json", "constraints.txt", "stacks", "state_machines", "functions", "napstack", "examples")


def test_cdk_synth_in_another_checkout_gives_the_in_process_templates(tmp_path):
    """`make synth` in a second checkout (another path, its venv reached through another path) and the replay's
    in-process synth here: the same templates, byte for byte, and the same hash."""
    from napstack.assembly import assembly_digest, load_assembly

    other = tmp_path / "elsewhere" / "napstack"
    for name in CHECKOUT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, other / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            other.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, other / name)
    (other / ".venv").symlink_to(ROOT / ".venv")
    (other / "node_modules").symlink_to(ROOT / "node_modules")
    command = ["npx", "--no-install", "cdk", "synth", "--no-notices", "--quiet", "-c", "config=examples/minecraft-java.yaml",
               "-o", "cdk.out"]
    environment = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CDK_DISABLE_CLI_TELEMETRY": "true"}
    done = subprocess.run(command, cwd=other, env=environment, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    here, there = synth.cached_assembly(load_config(MINECRAFT)), other / "cdk.out"
    templates = sorted(p.name for p in here.glob("*.template.json"))
    assert templates == sorted(p.name for p in there.glob("*.template.json")) and templates
    for name in templates:
        assert json.loads((here / name).read_text()) == json.loads((there / name).read_text()), name
    assert sorted(p.name for p in here.glob("asset.*")) == sorted(p.name for p in there.glob("asset.*"))
    assert assembly_digest(load_assembly(here)) == assembly_digest(load_assembly(there))


def _fake_install(site: Path, venv: str, requested: bool) -> None:
    """A pure-Python package installed by pip into `site`: its console script's shebang names `venv`."""
    import base64
    import hashlib

    (site / "probe_pkg").mkdir(parents=True)
    (site / "probe_pkg" / "__init__.py").write_text("VALUE = 1\n")
    info = site / "probe_pkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: probe-pkg\nVersion: 1.0\n")
    script = f"#!{venv}/bin/python\nimport probe_pkg\n".encode()
    digest = base64.urlsafe_b64encode(hashlib.sha256(script).digest()).rstrip(b"=").decode()
    files = {"INSTALLER": "pip\n", "WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    if requested:  # a top-level requirement, from a file: pip says so
        files.update({"REQUESTED": "", "direct_url.json": json.dumps({"url": f"file://{venv}/wheels/probe_pkg-1.0.whl"})})
    for name, text in files.items():
        (info / name).write_text(text)
    (info / "RECORD").write_text("".join(
        f"{path},,\n" for path in ["probe_pkg/__init__.py", "probe_pkg-1.0.dist-info/METADATA",
                                   *(f"probe_pkg-1.0.dist-info/{name}" for name in files), "probe_pkg-1.0.dist-info/RECORD"]
    ) + f"../../../bin/probe,sha256={digest},{len(script)}\n")


def test_a_bundled_package_gives_the_same_asset_whatever_venv_it_is_installed_in(tmp_path, monkeypatch):
    """What pip wrote about the install (RECORD hashing a script whose shebang names the venv, how it was asked
    for) stays out of the asset: two venvs, the same CDK fingerprint."""
    import aws_cdk as cdk

    from stacks import lambda_function, lambda_packages

    functions = tmp_path / "functions"
    (functions / "probe").mkdir(parents=True)
    (functions / "probe" / "app.py").write_text("import probe_pkg\n\ndef handler(event, context):\n    return probe_pkg.VALUE\n")
    (functions / "probe" / "requirements.txt").write_text("probe-pkg\n")
    monkeypatch.setattr(lambda_function, "FUNCTIONS_DIR", functions)
    fingerprints, bundles = [], []
    for venv, requested in ((tmp_path / "one" / ".venv", True), (tmp_path / "two" / "venv", False)):
        site = venv / "lib" / "site-packages"
        _fake_install(site, str(venv), requested)
        with monkeypatch.context() as inside:  # the install built for Lambda (stacks/lambda_packages.py) is this site
            inside.setattr(lambda_packages, "SITE", site)
            inside.setattr(lambda_packages, "STAMP", site / lambda_packages.STAMP.name)
            lambda_packages.STAMP.write_text(json.dumps(lambda_packages.lambda_platform()))
            bundle = Path(lambda_function.code_folder.__wrapped__("probe"))
        bundles.append(sorted(str(p.relative_to(bundle)) for p in bundle.rglob("*") if p.is_file()))
        fingerprints.append(cdk.FileSystem.fingerprint(str(bundle)))
    assert "probe_pkg/__init__.py" in bundles[0] and "probe_pkg-1.0.dist-info/METADATA" in bundles[0]
    assert bundles[0] == bundles[1] and fingerprints[0] == fingerprints[1]


# --- the key: everything that shapes the assembly, nothing else ---------------------------------------------


def test_a_function_bundles_the_shared_modules_it_declares_and_a_missing_one_is_named(tmp_path, monkeypatch):
    """functions/shared/ is kept once in the repo; synth copies the modules a function's shared.txt names beside its
    code, as top-level modules (what Lambda imports), and no other."""
    from napstack.function_modules import SharedModuleError
    from stacks import lambda_function

    functions = tmp_path / "functions"
    for folder, text in {"shared/rule.py": "WHO = 'rule'\n", "shared/other.py": "", "probe/app.py": "import rule\n",
                         "probe/shared.txt": "# what it imports\nrule\n", "typo/app.py": "", "typo/shared.txt": "rules\n"}.items():
        (functions / folder).parent.mkdir(parents=True, exist_ok=True)
        (functions / folder).write_text(text)
    monkeypatch.setattr(lambda_function, "FUNCTIONS_DIR", functions)
    bundle = Path(lambda_function.code_folder.__wrapped__("probe"))
    assert sorted(p.name for p in bundle.iterdir()) == ["app.py", "rule.py"]
    assert (bundle / "rule.py").read_text() == "WHO = 'rule'\n"
    with pytest.raises(SharedModuleError, match=r"typo/shared.txt: rules is not a module of .*functions/shared"):
        lambda_function.code_folder.__wrapped__("typo")


def test_the_key_follows_the_installed_packages_and_cdk_json_not_where_the_config_lives(tmp_path, monkeypatch):
    config = load_config(MINECRAFT)
    key = synth.assembly_key(config)
    for example in (ROOT / "examples").glob("*.yaml"):  # the games beside base.yaml shape its Start stack's filter
        shutil.copy(example, tmp_path / example.name)
    assert synth.assembly_key(load_config(tmp_path / "minecraft-java.yaml")) == key  # another path, the same config
    from stacks.lambda_packages import SITE

    assert synth.LAMBDA_PACKAGES == SITE and any(p.startswith("lambda: mcstatus-") for p in synth.installed_packages())
    upgraded = tuple(p.replace("lambda: mcstatus-", "lambda: mcstatus-0.") for p in synth.installed_packages())
    assert upgraded != synth.installed_packages()
    monkeypatch.setattr(synth, "installed_packages", lambda: upgraded)
    assert synth.assembly_key(config) != key  # a bundled package of another version
    monkeypatch.undo()
    checkout = tmp_path / "checkout"
    for source in synth.SOURCES:
        if (ROOT / source).is_dir():
            shutil.copytree(ROOT / source, checkout / source, ignore=shutil.ignore_patterns("__pycache__"))
        elif (ROOT / source).is_file():
            (checkout / source).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / source, checkout / source)
    monkeypatch.setattr(synth, "ROOT", checkout)
    synth._sources_digest.cache_clear()
    try:
        assert synth.assembly_key(config) == key  # the same sources elsewhere
        (checkout / "cdk.context.json").write_text('{"availability-zones:account=1:region=us-east-1": ["a"]}')
        synth._sources_digest.cache_clear()
        assert synth.assembly_key(config) != key  # the CLI reads cdk.context.json
    finally:
        synth._sources_digest.cache_clear()


def test_the_key_covers_every_napstack_module_the_stacks_import():
    """A module the templates depend on but the key ignores would replay a stale assembly after its edit."""
    import ast

    covered = lambda path: any(path == ROOT / s or (ROOT / s) in path.parents for s in synth.SOURCES)  # noqa: E731
    queue, seen = [ROOT / "napstack" / "app_builder.py", *sorted((ROOT / "stacks").glob("*.py"))], set()
    while queue:
        module = queue.pop()
        if module in seen:
            continue
        seen.add(module)
        assert covered(module), f"{module.relative_to(ROOT)} shapes the templates but not the cache key"
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("napstack", "stacks"):
                queue.append(ROOT / (node.module.replace(".", "/") + ".py"))


# --- a damaged, unwritable or full cache ------------------------------------------------------------------


def _truncate(path: Path) -> None:
    path.write_text(path.read_text()[:100])


DAMAGES = {
    "a template cut short": lambda entry: _truncate(next(entry.glob("*.nested.template.json"))),
    "an asset gone": lambda entry: shutil.rmtree(next(p for p in entry.glob("asset.*") if p.is_dir())),
    "no manifest": lambda entry: (entry / "manifest.json").unlink(),
    "an asset emptied": lambda entry: [path.unlink() for path in next(p for p in entry.glob("asset.*") if p.is_dir()).rglob("*")
                                       if path.is_file()],
    "a template replaced by other JSON": lambda entry: (entry / "Napstack-MinecraftJava.template.json").write_text('{"x": 1}'),
    "a handler edited": lambda entry: next(entry.glob("asset.*/app.py")).write_text("raise SystemExit(3)\n"),
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_cache_entry_is_synthesized_again(tmp_path, monkeypatch, damage):
    from napstack.assembly import load_assembly

    config = load_config(MINECRAFT)
    made = []
    monkeypatch.setattr(synth, "synthesize", _copying(made, synth.cached_assembly(config)))
    monkeypatch.setenv("NAPSTACK_CACHE", str(tmp_path))
    entry = synth.cached_assembly(config)
    DAMAGES[damage](entry)
    assert synth.cached_assembly(config) == entry and len(made) == 2
    assert config.leaf.stack_name in load_assembly(entry)
    assert [p.name for p in entry.parent.iterdir()] == [entry.name]  # nothing staged left


UNWRITABLE_RUN = """
import shutil, sys
from pathlib import Path
import napstack.synth as synth
source = sys.argv[1]
synth.synthesize = lambda config, outdir: shutil.copytree(source, outdir, dirs_exist_ok=True)
sys.argv = ["napstack", "replay", "events/asg-terminate-successful.json", "--json"]
from napstack.cli import run
run()
"""


def test_an_unwritable_cache_is_said_once_and_no_assembly_is_left_behind(tmp_path):
    """The command as a user runs it, with the cache path a file (synth itself replaced by a copy of a real one)."""
    real = synth.cached_assembly(load_config(MINECRAFT))
    (tmp_path / "cache").write_text("not a folder")
    temp = tmp_path / "tmp"
    temp.mkdir()
    environment = {**os.environ, "NAPSTACK_CACHE": str(tmp_path / "cache"), "TMPDIR": str(temp)}
    done = subprocess.run([sys.executable, "-c", UNWRITABLE_RUN, str(real)], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if "cannot keep assemblies" in line]
    assert len(said) == 1 and str(tmp_path / "cache") in said[0] and "NAPSTACK_CACHE" in said[0]
    assert json.loads(done.stdout)["deployment"]["assembly"].startswith(str(temp))
    assert list(temp.iterdir()) == []


def test_an_unwritable_cache_synthesizes_once_per_run_and_says_so_once(tmp_path, monkeypatch, capsys):
    config = load_config(MINECRAFT)
    made = []
    monkeypatch.setattr(synth, "synthesize", _copying(made, synth.cached_assembly(config)))
    monkeypatch.setattr(synth, "_FOR_THIS_RUN", {})
    (tmp_path / "cache").write_text("not a folder")
    monkeypatch.setenv("NAPSTACK_CACHE", str(tmp_path / "cache"))
    assert synth.cached_assembly(config) == synth.cached_assembly(config) and len(made) == 1
    assert capsys.readouterr().err.count("cannot keep assemblies") == 1


def test_a_full_disk_is_one_line_and_leaves_nothing_half_written(tmp_path, monkeypatch):
    """jsii hands node's ENOSPC to Python as a RuntimeError naming the file it could not copy."""
    from napstack import app_builder
    from tests.conftest import napstack_cli

    def full_disk(config, app, nag=True):
        raise RuntimeError(f"ENOSPC: no space left on device, copyfile '/tmp/a/app.py' -> '{tmp_path}/x/app.py'")

    monkeypatch.setattr(app_builder, "build_app", full_disk)
    monkeypatch.setenv("NAPSTACK_CACHE", str(tmp_path))
    monkeypatch.setattr(synth, "assembly_key", lambda config: "full-disk-test")  # never the real entry
    result = napstack_cli("replay", "events/asg-terminate-successful.json")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "no space left" in result.stderr and "NAPSTACK_CACHE" in result.stderr
    assert list((tmp_path / "assemblies").iterdir()) == []


# --- replay --assembly: what it was built from ---------------------------------------------------------------


@pytest.fixture
def cdk_out(tmp_path):
    copy = tmp_path / "cdk.out"
    shutil.copytree(synth.cached_assembly(load_config(MINECRAFT)), copy)
    return copy


def _asset_holding(cdk_out: Path, module: str) -> Path:
    return next(p for p in cdk_out.glob("asset.*") if (p / module).is_file())


def test_a_handler_edited_after_the_synth_is_named_and_the_checkout_s_code_runs(cdk_out):
    from tests.conftest import napstack_cli

    for module in ("watch_logic.py", "record.py"):
        asset = _asset_holding(cdk_out, module)
        (asset / "app.py").write_text((asset / "app.py").read_text() + "# as it was before an edit\n")
    shared = _asset_holding(cdk_out, "game_query.py") / "game_query.py"  # bundled from functions/shared/
    shared.write_text(shared.read_text() + "# as it was before an edit\n")
    result = napstack_cli("replay", "events/asg-launch-successful.json", "--assembly", str(cdk_out))
    assert result.returncode == 0, result.stderr
    assert ("functions/count_connections/app.py, functions/dns_record/app.py, functions/shared/game_query.py differ "
            "from the assembly's copies" in result.stdout)


def test_a_function_this_checkout_no_longer_has_is_one_line(cdk_out):
    from tests.conftest import napstack_cli

    asset = _asset_holding(cdk_out, "record.py")
    (asset / "record.py").rename(asset / "renamed.py")
    (asset / "app.py").write_text("import renamed\n")
    result = napstack_cli("replay", "events/asg-launch-successful.json", "--assembly", str(cdk_out))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "code is none of this checkout's functions/* (renamed or removed since the synth?)" in result.stderr


def test_a_config_other_than_the_assembly_s_is_named(cdk_out, tmp_path):
    import yaml

    from tests.conftest import napstack_cli

    leaf = yaml.safe_load((ROOT / "examples" / "minecraft-java.yaml").read_text())
    leaf["Watchdog"]["IdleChecks"] = 7
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(leaf))
    for example in (ROOT / "examples").glob("*.yaml"):  # the same games beside the same base.yaml
        if example.name != "minecraft-java.yaml":
            shutil.copy(example, tmp_path / example.name)
    result = napstack_cli("replay", "events/asg-launch-successful.json", "--config", str(tmp_path / "mine.yaml"),
                          "--assembly", str(cdk_out))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "minecraft-java.yaml" in result.stderr and "differs from it in Watchdog.IdleChecks:" in result.stderr
    leaf["Container"]["Environment"] = {"EULA": "TRUE"}
    leaf["Dns"]["Ttl"], leaf["Ec2"]["InstanceType"] = 60, "t3.large"
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(leaf))
    (tmp_path / "base.yaml").write_text((ROOT / "examples" / "base.yaml").read_text().replace("example.com", "example.net"))
    other = napstack_cli("replay", "events/asg-launch-successful.json", "--config", str(tmp_path / "mine.yaml"),
                         "--assembly", str(cdk_out))
    # served: the base's games' names, which the Start stack's filter passes, follow the domain.
    assert other.returncode == 2 and "base: DomainName" in other.stderr and " and 3 more:" in other.stderr
    same = napstack_cli("replay", "events/asg-terminate-successful.json", "--config", str(ROOT / "examples" / "minecraft-java.yaml"),
                        "--assembly", str(cdk_out))
    assert same.returncode == 0, same.stderr


@pytest.mark.parametrize("command", [("replay", "events/asg-launch-successful.json"),
                                     ("page", "--config", "examples/minecraft-java.yaml", "--port", "0")])
def test_without_the_functions_packages_for_lambda_replay_and_page_say_to_run_setup(tmp_path, monkeypatch, command):
    """Synth never downloads: a checkout whose `make setup` has not built them stops with one line, no traceback."""
    from stacks import lambda_function, lambda_packages
    from tests.conftest import napstack_cli

    monkeypatch.setenv("NAPSTACK_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(lambda_packages, "SITE", tmp_path / "lambda-packages")
    monkeypatch.setattr(lambda_packages, "STAMP", tmp_path / "lambda-packages" / lambda_packages.STAMP.name)
    lambda_function.code_folder.cache_clear()
    try:
        result = napstack_cli(*command)
    finally:
        lambda_function.code_folder.cache_clear()
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == (f"napstack: cannot package the functions: {tmp_path / 'lambda-packages'} is missing: "
                                     "run `make setup` to install the functions' packages for Lambda")


def test_packages_installed_before_a_pin_changed_are_refused_as_stale(tmp_path, monkeypatch):
    """A new pin in constraints.txt (or a function's new requirement) makes the Lambda install stale until setup."""
    from stacks import lambda_packages

    constraints = tmp_path / "constraints.txt"
    constraints.write_text(lambda_packages.CONSTRAINTS.read_text().replace("pydantic==", "pydantic==0.", 1))
    lambda_packages.installed_for_lambda()  # today's install matches today's pins
    monkeypatch.setattr(lambda_packages, "CONSTRAINTS", constraints)
    with pytest.raises(lambda_packages.BundleError, match=r"lambda-packages is stale \(constraints.txt, a requirements.txt "
                                                          r"or the runtime changed\): run `make setup`"):
        lambda_packages.installed_for_lambda()


@pytest.mark.parametrize("record", ["{not json", '{"config": 1}', "[" * 100_000 + "]" * 100_000,
                                    '{"source": "x", "config": ' + '{"a": ' * 5_000 + "1" + "}" * 5_000 + "}"])
def test_a_damaged_config_record_is_one_line(cdk_out, record):
    from tests.conftest import napstack_cli

    (cdk_out / synth.CONFIG_RECORD).write_text(record)
    result = napstack_cli("replay", "events/asg-launch-successful.json", "--assembly", str(cdk_out))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and synth.CONFIG_RECORD in result.stderr

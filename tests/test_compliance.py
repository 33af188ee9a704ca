"""cdk-nag AwsSolutions, cfn-lint and CDK's own CloudFormation validation over what the examples synthesize."""

import subprocess
from pathlib import Path
import sys

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns

from napstack.app_builder import build_app
from napstack.config import load_config
from tests.conftest import BASE_STACK, EXAMPLES, ROOT

MINECRAFT = ROOT / "examples" / "minecraft-java.yaml"


def acknowledgments(app: cdk.App) -> dict[str, str]:
    """{"<construct path> <rule id>": reason} for every acknowledgment in the app."""
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    return {
        f"{node.node.path} {rule}": reason
        for node in app.node.find_all()
        for entry in node.node.metadata
        if entry.type == key
        for rule, reason in entry.data.items()
    }


def test_every_acknowledged_finding_has_a_written_reason(tmp_path):
    app = build_app(load_config(MINECRAFT), cdk.App(outdir=str(tmp_path), builtin_cloud_formation_validation=False))
    found = acknowledgments(app)
    assert any("AwsSolutions-EC23" in where for where in found), "expected the stacks' own acknowledgments"
    for where, reason in found.items():
        assert len(reason.split()) >= 5, f"{where}: reason too thin: {reason!r}"


def test_an_unacknowledged_finding_stops_synth(tmp_path):
    app = build_app(load_config(MINECRAFT), cdk.App(outdir=str(tmp_path), builtin_cloud_formation_validation=False))
    sns.Topic(app.node.find_child(BASE_STACK), "Unencrypted")  # AwsSolutions-SNS3: no SSL enforced
    with pytest.raises(Exception, match="AwsSolutions-SNS3"):
        app.synth()


def test_every_example_passes_cdk_nag(synthesized):
    # The session fixture synthesizes with AwsSolutions checks on: any finding would have raised.
    for example in EXAMPLES:
        assert (synthesized(example) / "manifest.json").is_file()


def test_cfn_lint_finds_no_errors(synthesized):
    templates = [str(t) for example in EXAMPLES for t in sorted(synthesized(example).glob("*.template.json"))]
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--format", "parseable", *templates], capture_output=True, text=True
    )
    # cfn-lint exits 0 when clean and 4 for warnings only; 2 (errors) or anything else fails.
    assert result.returncode in (0, 4), result.stdout + result.stderr
    assert ":E" not in result.stdout.replace(":W", "")


def test_builtin_cloudformation_validation_accepts_the_templates(tmp_path):
    app = build_app(load_config(MINECRAFT), cdk.App(outdir=str(tmp_path)), nag=False)
    app.synth()
    assert (tmp_path / "Napstack-MinecraftJava.template.json").is_file()

"""The status page as deployed: one public function URL per base (no API Gateway, no CloudFront), its output, the
reserved concurrency that bounds abuse, a role that changes only napstack's own groups, the tags each leaf's group
gives the page, and a base that turns it off."""

import re

import pytest

from tests.conftest import BASE_STACK
from tests.test_config import with_changes, write_configs
from tests.test_stacks import one, resources_of, statements

HASH = "scrypt$15$8$1$" + "A" * 22 + "==$" + "B" * 43 + "="


def test_one_public_function_url_with_its_output_deployable_on_a_new_account(minecraft):
    base = minecraft[BASE_STACK]
    url = one(base, "AWS::Lambda::Url")["Properties"]
    assert url["AuthType"] == "NONE" and "Cors" not in url
    assert not resources_of(base, "AWS::ApiGateway::RestApi") and not resources_of(base, "AWS::CloudFront::Distribution")
    assert base.template["Outputs"]["StatusPageUrl"]["Value"] == {"Fn::GetAtt": [next(
        k for k, r in base.resources.items() if r["Type"] == "AWS::Lambda::Url"), "FunctionUrl"]}
    page = next(r["Properties"] for r in resources_of(base, "AWS::Lambda::Function")
                if r["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "status_page")
    # Not reserved by default: a reservation fails the deploy on a new account (a quota of 10)
    assert "ReservedConcurrentExecutions" not in page and "PASSPHRASE_HASH" not in page["Environment"]["Variables"]
    permissions = [r["Properties"] for r in resources_of(base, "AWS::Lambda::Permission")]
    assert {(p["Action"], p["Principal"], p.get("FunctionUrlAuthType"), p.get("InvokedViaFunctionUrl"))
            for p in permissions} == {("lambda:InvokeFunctionUrl", "*", "NONE", None), ("lambda:InvokeFunction", "*", None, True)}


def test_the_page_may_change_only_its_own_bases_groups_and_only_the_tags_it_writes(minecraft):
    granted = statements(minecraft[BASE_STACK])
    actions = {"autoscaling:SetDesiredCapacity", "autoscaling:CreateOrUpdateTags", "autoscaling:DeleteTags"}
    writes = [s for s in granted if isinstance(s["Action"], str) and s["Action"] in actions]  # each its own condition
    own_base = {"autoscaling:ResourceTag/napstack:base": BASE_STACK}
    by_action = {s["Action"]: s for s in writes}
    assert set(by_action) == actions and len(writes) == 3
    assert not [s for s in granted if isinstance(s["Action"], list) and actions & set(s["Action"])]
    assert by_action["autoscaling:SetDesiredCapacity"]["Condition"] == {"StringEquals": own_base}
    assert by_action["autoscaling:CreateOrUpdateTags"]["Condition"] == {"StringEquals": own_base, "ForAllValues:StringLike": {
        "aws:TagKeys": ["napstack:woken", "napstack:cooldown-lookups", "napstack:last-lookup", "napstack:wake-failure-*"]}}
    assert by_action["autoscaling:DeleteTags"]["Condition"] == {"StringEquals": own_base, "ForAllValues:StringLike": {
        "aws:TagKeys": ["napstack:wake-failure-*"]}}
    for write in writes:
        assert write["Resource"]["Fn::Join"][1][-1] == ":autoScalingGroup:*:autoScalingGroupName/Napstack-*"
    reads = [s for s in granted if s["Resource"] == "*"]
    assert {a for s in reads for a in s["Action"]} == {
        "autoscaling:DescribeAutoScalingGroups", "ec2:DescribeInstances", "cloudwatch:GetMetricStatistics"}


def test_each_leaf_tells_the_page_its_address_and_query(leaf):
    (group,) = [r for s in leaf.walk() for r in s.resources.values() if r["Type"] == "AWS::AutoScaling::AutoScalingGroup"]
    tags = {t["Key"]: t["Value"] for t in group["Properties"]["Tags"]}
    assert tags["napstack:address"] == "mc.example.com:25565" and tags["napstack:leaf"] == "minecraft-java"
    assert tags["napstack:query"] == "minecraft-java 25565 2" and "napstack:wake-passphrase" not in tags
    assert tags["napstack:base"] == BASE_STACK  # the page of this base, and no other, lists and wakes it


def test_passphrase_hashes_deploy_where_the_config_sets_them_and_the_page_can_be_off(tmp_path, synthesized):
    from napstack.assembly import load_assembly

    base = {"DomainName": "example.org", "HostedZoneId": "Z1234567890", "StatusPage": {"PassphraseHash": HASH,
                                                                                         "ReservedConcurrency": 3}}
    stacks = load_assembly(synthesized(write_configs(tmp_path, with_changes(StatusPage={"PassphraseHash": HASH}), base)))
    page_base = stacks["Napstack-Base-ExampleOrg-UsEast1"]
    (page,) = [r["Properties"] for r in resources_of(page_base, "AWS::Lambda::Function")]
    assert page["Environment"]["Variables"]["PASSPHRASE_HASH"] == HASH and page["ReservedConcurrentExecutions"] == 3
    (group,) = [r for s in stacks["Napstack-TestGame"].walk() for r in s.resources.values()
                if r["Type"] == "AWS::AutoScaling::AutoScalingGroup"]
    assert {t["Key"]: t["Value"] for t in group["Properties"]["Tags"]}["napstack:wake-passphrase"] == HASH
    off = tmp_path / "off"
    off.mkdir()
    base["StatusPage"] = {"Enabled": False}
    stacks = load_assembly(synthesized(write_configs(off, with_changes(), base)))
    assert not resources_of(stacks["Napstack-Base-ExampleOrg-UsEast1"], "AWS::Lambda::Url")


@pytest.mark.parametrize("value", ["hunter2", "scrypt$15$8$1$short$short", HASH.replace("$15$", "$30$"),
                                   HASH.replace("$15$", "$14$")])  # below what napstack ever made
def test_a_passphrase_itself_is_refused_as_a_hash(tmp_path, value):
    from napstack.config import ConfigError, load_config

    base = {"DomainName": "example.org", "HostedZoneId": "Z1234567890", "StatusPage": {"PassphraseHash": value}}
    with pytest.raises(ConfigError) as refused:
        load_config(write_configs(tmp_path, with_changes(), base))
    assert value not in refused.value.problems[0]
    assert re.search(r"StatusPage\.PassphraseHash: the value is not allowed: expected what `napstack passphrase` prints",
                     refused.value.problems[0])


def test_check_says_what_the_pages_concurrency_asks_of_the_account(tmp_path):
    """Reserved or not, the owner learns before a deploy what a flood costs and what the account must allow."""
    from tests.conftest import napstack_cli

    unreserved = napstack_cli("check", str(write_configs(tmp_path, with_changes())))
    assert unreserved.returncode == 0 and "StatusPage: its concurrency is not reserved" in unreserved.stdout
    assert "throttles the watchdog and start_server" in unreserved.stdout and "ReservedConcurrency: 10" in unreserved.stdout
    base = {"DomainName": "example.org", "HostedZoneId": "Z1234567890", "StatusPage": {"ReservedConcurrency": 10}}
    reserved = napstack_cli("check", str(write_configs(tmp_path, with_changes(), base)))
    line = next(line for line in reserved.stdout.splitlines() if line.startswith("StatusPage:"))
    assert "reserves 10 concurrent executions" in line and "at least 110" in line and "ReservedConcurrency: null" in line


def test_check_warns_of_a_passphrase_hash_below_owasps_scrypt_floor(tmp_path):
    """A hash made before napstack moved to N = 2^17 still deploys and matches, and check says to remake it."""
    from tests.conftest import napstack_cli

    base = {"DomainName": "example.org", "HostedZoneId": "Z1234567890", "StatusPage": {"PassphraseHash": HASH}}
    old = napstack_cli("check", str(write_configs(tmp_path, with_changes(StatusPage={"PassphraseHash": HASH}), base)))
    assert old.returncode == 0
    assert [line for line in old.stdout.splitlines() if "N=2^15, below OWASP's 2^17" in line] == [
        "warning: the base's StatusPage.PassphraseHash costs scrypt N=2^15, below OWASP's 2^17: it still works; "
        "`napstack passphrase` makes one a stolen hash resists better",
        "warning: test-game's StatusPage.PassphraseHash costs scrypt N=2^15, below OWASP's 2^17: it still works; "
        "`napstack passphrase` makes one a stolen hash resists better"]
    base["StatusPage"]["PassphraseHash"] = HASH.replace("$15$", "$17$")
    assert "OWASP" not in napstack_cli("check", str(write_configs(tmp_path, with_changes(), base))).stdout

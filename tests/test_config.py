"""Config loading: every example is valid; every bad config names the file, the key path and what is allowed."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from napstack.config import ConfigError, load_config
from napstack.reference import generated_files
from tests.conftest import EXAMPLES, ROOT

GOOD = {
    "Name": "test-game",
    "Container": {"Image": "nginx", "Ports": ["8080/tcp"], "MemoryMib": 512},
    "Ec2": {"InstanceType": "t3.small"},
    "Dns": {"SubDomain": "game"},
}


def write_configs(tmp_path: Path, leaf: dict, base: dict | None = None) -> Path:
    (tmp_path / "base.yaml").write_text(
        yaml.safe_dump(base if base is not None else {"DomainName": "example.org", "HostedZoneId": "Z1234567890"})
    )
    leaf_file = tmp_path / "game.yaml"
    leaf_file.write_text(yaml.safe_dump(leaf))
    return leaf_file


def with_changes(**changes) -> dict:
    config = yaml.safe_load(yaml.safe_dump(GOOD))
    for path, value in changes.items():
        node = config
        *parents, last = path.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return config


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_is_valid(example):
    config = load_config(example)
    assert config.dns_name.endswith(".example.com")
    assert config.leaf.watched_port in config.leaf.all_ports(config.leaf.watched_protocol)


def test_defaults_a_newcomer_relies_on(tmp_path):
    config = load_config(write_configs(tmp_path, GOOD))
    assert config.leaf.ssh.allowed_cidrs == []  # no port 22 unless asked
    assert config.leaf.watchdog.idle_checks == 5
    assert config.leaf.watched_protocol == "tcp" and config.leaf.watched_port == 8080
    assert config.leaf.dns.ttl == 30
    assert config.leaf.stack_name == "Napstack-TestGame"


def test_port_shorthand_and_long_form_agree(tmp_path):
    short = load_config(write_configs(tmp_path, with_changes(Container__Ports=["2456-2457/udp"])))
    long = load_config(
        write_configs(tmp_path, with_changes(Container__Ports=[{"Protocol": "udp", "Port": 2456, "ToPort": 2457}]))
    )
    assert short.leaf.all_ports("udp") == long.leaf.all_ports("udp") == [2456, 2457]


def test_yaml_booleans_in_environment_stay_text(tmp_path):
    config = load_config(write_configs(tmp_path, with_changes(Container__Environment={"EULA": True, "PLAYERS": 16})))
    assert config.leaf.container.environment == {"EULA": "true", "PLAYERS": "16"}


BAD_CONFIGS = [
    ("typo in a key", with_changes(Watchdog__IdleCheks=3), "game.yaml: Watchdog.IdleCheks: unknown key"),
    ("missing image", {**GOOD, "Container": {"Ports": ["1/tcp"], "MemoryMib": 512}}, "Container.Image: required key is missing"),
    ("idle checks zero", with_changes(Watchdog__IdleChecks=0), "Watchdog.IdleChecks: Input should be greater than or equal to 1"),
    ("port too high", with_changes(Container__Ports=["70000/tcp"]), "Container.Ports.0.Port: Input should be less than or equal to 65535"),
    ("bad port text", with_changes(Container__Ports=["mc"]), "'mc' is not a port: write 25565/tcp or 2456-2457/udp"),
    ("reversed range", with_changes(Container__Ports=["10-5/udp"]), "ToPort 5 is below Port 10"),
    ("huge range", with_changes(Container__Ports=["1000-2000/udp"]), "a range may hold at most 100 ports"),
    ("watched port not open", with_changes(Watchdog__Port=9999), "Watchdog.Port 9999 is not one of Container.Ports"),
    ("watch udp, only tcp open", with_changes(Watchdog__Protocol="udp"), "Watchdog.Protocol udp: no Container.Ports use that protocol"),
    ("query port not open", with_changes(Watchdog__Query={"Protocol": "minecraft-java", "Port": 25566}),
     "Watchdog.Query.Port 25566/tcp is not one of Container.Ports: the security group opens only those"),
    ("query over a transport not open", with_changes(Watchdog__Query={"Protocol": "a2s"}),
     "Watchdog.Query: a2s answers over udp, and no Container.Ports use udp"),
    ("unknown query protocol", with_changes(Watchdog__Query={"Protocol": "gamespy"}),
     "Watchdog.Query.Protocol: Input should be 'minecraft-java', 'minecraft-bedrock' or 'a2s'"),
    ("bad name", with_changes(Name="My Game"), "Name: 'My Game' is not allowed: expected 2-24 lowercase letters"),
    ("bad sub-domain", with_changes(Dns__SubDomain="mc.example.com"), "Dns.SubDomain: 'mc.example.com' is not allowed: expected one DNS label"),
    ("bad ssh cidr", with_changes(Ssh__AllowedCidrs=["1.2.3.4/40"]), "Ssh.AllowedCidrs: '1.2.3.4/40' is not an IPv4 CIDR"),
    ("bad max-uptime action", with_changes(Watchdog__MaxUptime={"Action": "reboot"}), "Watchdog.MaxUptime.Action: Input should be 'alert' or 'stop'"),
    ("volumes disagree", with_changes(Volumes=[{"ContainerPath": "/a"}, {"ContainerPath": "/b", "Backups": False}]), "Volumes: Backups must be the same for every volume"),
    ("relative volume path", with_changes(Volumes=[{"ContainerPath": "data"}]), "Volumes.0.ContainerPath: 'data' is not allowed: expected an absolute path"),
    ("not a mapping", ["just", "a", "list"], "expected a mapping of keys"),
    ("empty file", None, "the file is empty: write its keys"),
    ("e-mail without a domain", with_changes(AlertEmails=["ops@localhost"]), "AlertEmails.0: 'ops@localhost' is not allowed: expected an e-mail address"),
    ("e-mail with two @", with_changes(AlertEmails=["a@b@example.com"]), "AlertEmails.0: 'a@b@example.com' is not"),
    ("e-mail with a bad label", with_changes(AlertEmails=["ops@-x.example.com"]), "AlertEmails.0: 'ops@-x.example.com' is not an e-mail"),
    ("e-mail local part too long", with_changes(AlertEmails=[f"{'a' * 65}@example.com"]), "@example.com' is not an e-mail"),
    ("e-mail with a dot too many", with_changes(AlertEmails=["ops..team@example.com"]), "'ops..team@example.com' is not an e-mail"),
    ("archive on bursting throughput", with_changes(Efs={"ArchiveAfterDays": 90}),
     "Efs: Efs.ArchiveAfterDays needs Efs.ThroughputMode: elastic, not bursting"),
    ("one zone without its zone", with_changes(Efs={"OneZone": True}), "Efs: Efs.OneZone needs Efs.AvailabilityZone: a zone ID"),
    ("a zone without one zone", with_changes(Efs={"AvailabilityZone": "use1-az4"}),
     "Efs: Efs.AvailabilityZone use1-az4 places a One Zone file system: add Efs.OneZone: true"),
    ("a region for a zone", with_changes(Efs={"OneZone": True, "AvailabilityZone": "us-east-1"}),
     "Efs.AvailabilityZone: 'us-east-1' is not allowed: expected a zone ID such as use1-az4 or a zone name such as us-east-1a"),
    ("a zone without One Zone EFS", with_changes(Efs={"OneZone": True, "AvailabilityZone": "use1-az3"}),
     "Efs.AvailabilityZone use1-az3: EFS offers no One Zone file systems there"),
    ("a zone name of another region", with_changes(Efs={"OneZone": True, "AvailabilityZone": "eu-west-1a"}),
     "Efs.AvailabilityZone: eu-west-1a is not a zone of LeafRegion us-east-1"),
    ("a zone ID of another region", with_changes(Efs={"OneZone": True, "AvailabilityZone": "euw1-az1"}),
     "Efs.AvailabilityZone: euw1-az1 is not a zone of LeafRegion us-east-1, whose zone IDs begin use1-az"),
    ("sub-domain label over 63", with_changes(Dns__SubDomain="a" * 64), "expected one DNS label of at most 63"),
]


@pytest.mark.parametrize("leaf,expected", [(c, e) for _, c, e in BAD_CONFIGS], ids=[n for n, _, _ in BAD_CONFIGS])
def test_bad_config_names_the_problem(tmp_path, leaf, expected):
    with pytest.raises(ConfigError) as caught:
        load_config(write_configs(tmp_path, leaf))
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems


def test_problems_in_both_files_are_reported_together(tmp_path):
    leaf_file = write_configs(tmp_path, with_changes(Watchdog__IdleChecks=0), base={"DomainName": "Bad Domain"})
    with pytest.raises(ConfigError) as caught:
        load_config(leaf_file)
    text = "\n".join(caught.value.problems)
    assert "game.yaml: Watchdog.IdleChecks" in text
    assert "base.yaml: DomainName: 'Bad Domain' is not allowed" in text
    assert "base.yaml: HostedZoneId: required key is missing" in text


def test_invalid_yaml_says_where(tmp_path):
    leaf_file = tmp_path / "game.yaml"
    leaf_file.write_text("Name: x\nContainer: [unclosed\n")
    with pytest.raises(ConfigError, match=r"game.yaml: not valid YAML at line \d+"):
        load_config(leaf_file)


def test_check_command_exits_2_on_a_bad_config(tmp_path):
    leaf_file = write_configs(tmp_path, with_changes(Watchdog__IdleCheks=3))
    result = subprocess.run(
        [sys.executable, "-m", "napstack", "check", str(leaf_file)], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "Watchdog.IdleCheks: unknown key" in result.stderr
    assert "Traceback" not in result.stderr


def test_cdk_app_stops_with_exit_2_and_writes_nothing(tmp_path):
    leaf_file = write_configs(tmp_path, with_changes(Container__MemoryMib=1))
    outdir = tmp_path / "cdk.out"
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "CDK_CONTEXT_JSON": f'{{"config": "{leaf_file}"}}', "CDK_OUTDIR": str(outdir)},
    )
    assert result.returncode == 2, result.stderr
    assert "Container.MemoryMib: Input should be greater than or equal to 128" in result.stderr
    assert "Traceback" not in result.stderr
    assert not outdir.exists() or not any(outdir.iterdir())


def test_schema_and_reference_are_current():
    stale = [str(path.relative_to(ROOT)) for path, text in generated_files().items() if path.read_text() != text]
    assert not stale, f"run `python -m napstack schema` to regenerate {stale}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_examples_point_editors_at_the_schema(example):
    assert example.read_text().startswith("# yaml-language-server: $schema=napstack.schema.json")


def test_alert_emails_are_kept_once_whatever_their_case(tmp_path):
    leaf = with_changes(AlertEmails=["Ops@Example.com", "ops@example.com", "sam@example.com", "OPS@EXAMPLE.COM"])
    config = load_config(write_configs(tmp_path, leaf, base={"DomainName": "example.org", "HostedZoneId": "Z1234567890",
                                                             "AlertEmails": ["a@example.org", "A@example.ORG"]}))
    assert config.leaf.alert_emails == ["Ops@Example.com", "sam@example.com"]
    assert config.base.alert_emails == ["a@example.org"]


@pytest.mark.parametrize("domain", [".".join(["a" * 63] * 4), ".".join(["b" * 61] * 4) + ".com"])
def test_a_dns_name_over_253_characters_is_refused(tmp_path, domain):
    leaf_file = write_configs(tmp_path, GOOD, base={"DomainName": domain, "HostedZoneId": "Z1234567890"})
    with pytest.raises(ConfigError) as caught:
        load_config(leaf_file)
    (problem,) = caught.value.problems
    assert "characters; a DNS name has at most 253" in problem and len(problem) < 300


def test_a_domain_with_a_label_over_63_characters_is_refused(tmp_path):
    leaf_file = write_configs(tmp_path, GOOD, base={"DomainName": "a" * 64 + ".com", "HostedZoneId": "Z1234567890"})
    with pytest.raises(ConfigError, match="DomainName: .* each label at most 63 characters"):
        load_config(leaf_file)


def test_the_valheim_example_names_its_own_address():
    config = load_config(ROOT / "examples" / "valheim.yaml")
    assert f'"{config.dns_name}:{config.leaf.container.ports[0].port}"' in (ROOT / "examples" / "valheim.yaml").read_text()


BASE = {"DomainName": "example.org", "HostedZoneId": "Z1234567890"}


@pytest.mark.parametrize("region", ["us-east-9", "eu-west-7", "cn-north-1", "us-gov-west-1"])
def test_a_leaf_region_aws_does_not_have_or_napstack_cannot_reach_is_refused_with_the_valid_ones(tmp_path, region):
    """The regex alone passes us-east-9; botocore's own partition data (offline) says which regions exist. China and
    GovCloud are other partitions: Napstack-Start in us-east-1 could never start a leaf there."""
    with pytest.raises(ConfigError) as error:
        load_config(write_configs(tmp_path, GOOD, base={**BASE, "LeafRegion": region}))
    (problem,) = error.value.problems
    assert problem.startswith(f"{tmp_path / 'base.yaml'}: LeafRegion: '{region}' is not a region of AWS's commercial")
    assert "use one of: af-south-1, " in problem and ", me-central-1, " in problem and "us-west-2" in problem


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-2", "me-central-1", "ap-southeast-7", "mx-central-1"])
def test_every_commercial_region_is_a_valid_leaf_region(tmp_path, region):
    config = load_config(write_configs(tmp_path, GOOD, base={**BASE, "LeafRegion": region}))
    assert config.base.leaf_region == region


def test_check_and_replay_refuse_an_unknown_leaf_region_in_one_line_without_a_traceback(tmp_path):
    from tests.conftest import napstack_cli

    leaf_file = write_configs(tmp_path, GOOD, base={**BASE, "LeafRegion": "us-east-9"})
    for command in (["check", str(leaf_file)],
                    ["replay", "events/route53-query-lookup.json", "--config", str(leaf_file)],
                    ["cost", str(leaf_file)]):
        result = napstack_cli(*command)
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr.splitlines()[1].strip().startswith(f"{tmp_path / 'base.yaml'}: LeafRegion: 'us-east-9' is not")
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize("zone", ["eu-west-1b", "euw1-az3"])
def test_a_one_zone_file_system_may_be_named_by_zone_name_or_zone_id_of_the_leaf_region(tmp_path, zone):
    base = {"DomainName": "example.org", "HostedZoneId": "Z1234567890", "LeafRegion": "eu-west-1"}
    config = load_config(write_configs(tmp_path, with_changes(Efs={"OneZone": True, "AvailabilityZone": zone}), base=base))
    assert config.leaf.efs.availability_zone == zone


@pytest.mark.parametrize("region, prefix", [("us-east-1", "use1"), ("ap-northeast-1", "apne1"), ("eu-central-2", "euc2"),
                                            ("ca-west-1", "caw1"), ("ap-southeast-7", "apse7"), ("il-central-1", "ilc1")])
def test_zone_ids_begin_with_the_regions_abbreviation(region, prefix):
    from napstack.config import zone_id_prefix

    assert zone_id_prefix(region) == prefix


def test_check_refuses_two_games_with_one_dns_name_under_one_base(tmp_path):
    from tests.conftest import napstack_cli

    leaf_file = write_configs(tmp_path, GOOD)
    (tmp_path / "other.yaml").write_text(yaml.safe_dump({**GOOD, "Name": "other-game"}))
    (tmp_path / "elsewhere.yaml").write_text(yaml.safe_dump({**GOOD, "Name": "third", "Base": "other-base.yaml"}))
    (tmp_path / "other-base.yaml").write_text(yaml.safe_dump({"DomainName": "example.org", "HostedZoneId": "Z1234567890"}))
    result = napstack_cli("check", str(leaf_file))
    assert result.returncode == 2 and not result.stdout and "Traceback" not in result.stderr
    (line,) = [line.strip() for line in result.stderr.splitlines()[1:]]  # the other base's game is not this base's
    assert line.startswith(f"{leaf_file}: Dns.SubDomain: game.example.org is also other.yaml's under base.yaml")
    # Each side is refused, and a rename makes both pass.
    assert napstack_cli("check", str(tmp_path / "other.yaml")).returncode == 2
    (tmp_path / "other.yaml").write_text(yaml.safe_dump({**GOOD, "Name": "other-game", "Dns": {"SubDomain": "other"}}))
    assert napstack_cli("check", str(leaf_file)).returncode == 0


def test_a_game_beside_the_base_is_served_by_its_filter_and_a_broken_or_foreign_file_is_left_alone(tmp_path):
    leaf_file = write_configs(tmp_path, GOOD)
    (tmp_path / "bedrock.yml").write_text(yaml.safe_dump({**GOOD, "Name": "bedrock", "Dns": {"SubDomain": "br", "StartOn": ["AAAA"]}}))
    (tmp_path / "broken.yaml").write_text("Name: [unclosed\n")
    (tmp_path / "compose.yaml").write_text(yaml.safe_dump({"services": {"web": {"image": "nginx"}}}))
    (tmp_path / "same-name.yaml").write_text(yaml.safe_dump({**GOOD, "Name": "x", "Ec2": {"InstanceType": "t9.huge"}}))
    config = load_config(leaf_file)
    assert dict(config.served) == {"br.example.org": ("AAAA",), "game.example.org": ("A", "AAAA")}


def test_stack_names_tell_bases_apart_by_zone_and_region(tmp_path):
    config = load_config(write_configs(tmp_path, GOOD, {"DomainName": "play.example.org", "HostedZoneId": "Z1234567890",
                                                         "LeafRegion": "eu-west-1"}))
    assert config.base.base_stack_name == "Napstack-Base-PlayExampleOrg-EuWest1"
    assert config.base.start_stack_name == "Napstack-Start-PlayExampleOrg-EuWest1"
    long_domain = ".".join(["a" * 60] * 3) + ".com"
    other = load_config(write_configs(tmp_path, GOOD, {"DomainName": long_domain, "HostedZoneId": "Z1234567890"}))
    names = {other.base.base_stack_name, other.base.start_stack_name}
    assert all(len(name) <= 128 and re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", name) for name in names)  # CloudFormation's rule
    shorter = load_config(write_configs(tmp_path, GOOD, {"DomainName": long_domain[1:], "HostedZoneId": "Z1234567890"}))
    assert shorter.base.start_stack_name != other.base.start_stack_name


def test_query_log_group_must_be_one_route53_can_write_to(tmp_path):
    leaf_file = write_configs(tmp_path, GOOD, {"DomainName": "example.org", "HostedZoneId": "Z1234567890",
                                               "QueryLogGroup": "my-logs"})
    with pytest.raises(ConfigError, match="QueryLogGroup: 'my-logs' is not allowed: expected a log group name starting "
                                          "with /aws/route53/"):
        load_config(leaf_file)


COUNTS = ["Watchdog__IdleChecks", "Watchdog__IntervalSeconds", "Dns__Ttl", "Container__MemoryMib", "Efs__BackupRetentionDays"]


@pytest.mark.parametrize("field,value", [(field, value) for field in COUNTS for value in (True, "30", 1e26, 30.0)]
                         + [("Watchdog__MaxUptime__Hours", True), ("Watchdog__MaxUptime__Hours", "12")])
def test_numbers_written_as_booleans_or_text_are_refused_not_coerced(tmp_path, field, value):
    """`IdleChecks: true` was 1 check and `Ttl: "30"` 30 s: a count written as a boolean or text is a mistake to name."""
    with pytest.raises(ConfigError) as refused:
        load_config(write_configs(tmp_path, with_changes(**{field: value})))
    assert field.replace("__", ".") in str(refused.value)

"""Bad input never gets through: each file in tests/hostile/ is refused with exit 2 and one line naming the
problem (or, where napstack can read it faithfully, accepted), and generated documents and command lines
never end in a traceback."""

import base64
import gzip
import json
import os
import string

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from napstack.config import load_config
from napstack.inputs import MAX_FILE_BYTES
from tests.conftest import ROOT, napstack_cli

HOSTILE = ROOT / "tests" / "hostile"


def cli(*args: str) -> tuple[int, str, str]:
    result = napstack_cli(*args)
    return result.returncode, result.stdout, result.stderr


def problem_lines(err: str) -> list[str]:
    return [line.strip() for line in err.splitlines() if line.strip() and not line.startswith("napstack: 1 problem")]


def assert_refused_in_one_line(args: list[str], name: str, message: str) -> None:
    code, out, err = cli(*args)
    assert code == 2 and not out and "Traceback" not in err
    (line,) = problem_lines(err)
    assert name in line and message in line


BAD_CONFIGS = {
    "binary.yaml": "not UTF-8 text",
    "latin1.yaml": "not UTF-8 text",
    "duplicate-name.yaml": "key 'Name' appears twice",
    "duplicate-nested.yaml": "key 'MemoryMib' appears twice",
    "env-list.yaml": "Container.Environment.OPS: not text; write the value in quotes",
    "env-empty.yaml": "Container.Environment.SEED: not text",
    "unknown-instance-type.yaml": "'t9.gigantic' is not an instance type napstack knows",
    "memory-beyond-the-instance.yaml": "Container.MemoryMib 2048 is more than a t3.small can give a task: at most 1740",
    "port-mapped-twice.yaml": "8080/tcp is mapped twice",
    "port-22.yaml": "22/tcp is taken on the host by SSH on the host",
    "port-true.yaml": "Container.Ports.0.Port: Input should be a valid integer",
    "grace-shorter-than-a-check.yaml": "Watchdog.StartupGraceMinutes 2 ends before the first check",
    "volume-at-root.yaml": "'/' would hide the container's whole file system",
    "volume-climbing-out.yaml": "climbs out with '..'",
    "name-double-hyphen.yaml": "has consecutive hyphens",
    "huge-environment.yaml": "Container.Environment is",
    "not-a-mapping.yaml": "expected a mapping of keys",
    "archive-before-ia.yaml": "Efs.ArchiveAfterDays 14 must be more than Efs.InfrequentAccessAfterDays 30",
    "archive-on-one-zone.yaml": "EFS offers Archive on Regional file systems only",
    "archive-on-bursting.yaml": "Efs.ArchiveAfterDays needs Efs.ThroughputMode: elastic, not bursting",
    "one-zone-without-a-zone.yaml": "Efs.OneZone needs Efs.AvailabilityZone",
    "one-zone-where-efs-has-none.yaml": "Efs.AvailabilityZone use1-az3: EFS offers no One Zone file systems there",
    "surrogate-escape.yaml": "holds an escaped UTF-16 surrogate",
    "ia-days-not-offered.yaml": "Efs.InfrequentAccessAfterDays: Input should be 1, 7, 14, 30, 60, 90, 180, 270 or 365",
}


@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_a_bad_config_is_one_named_line_and_exit_2(name):
    assert_refused_in_one_line(["check", str(HOSTILE / "configs" / name)], name, BAD_CONFIGS[name])


def test_every_hostile_config_has_its_expected_message():
    files = {p.name for p in (HOSTILE / "configs").glob("*.yaml")} - {"base.yaml", "utf16-bom.yaml", "utf8-bom.yaml"}
    assert files == set(BAD_CONFIGS)


@pytest.mark.parametrize("name", ["utf16-bom.yaml", "utf8-bom.yaml"])
def test_a_config_saved_with_a_byte_order_mark_reads_as_written(name):
    assert load_config(HOSTILE / "configs" / name).leaf.container.image == "nginx"


BAD_EVENTS = {
    "binary.json": "not UTF-8 text",
    "nan.json": "NaN is not a JSON number",
    "detail-is-a-list.json": "'detail' is list, but AWS sends an object",
    "time-is-a-number.json": "'time' is int, but AWS sends it as a string",
    "far-future.json": "is not a plausible event time",
    "not-a-time.json": "is not an ISO 8601 UTC time",
    "deep.json": "not JSON",
    "awslogs-not-an-object.json": "'awslogs' must be an object with 'data'",
    "a-list.json": "expected one event as a JSON object, got list",
}


@pytest.mark.parametrize("name", sorted(BAD_EVENTS))
def test_a_bad_event_is_one_named_line_and_exit_2(name):
    assert_refused_in_one_line(["replay", str(HOSTILE / "events" / name)], name, BAD_EVENTS[name])


def test_an_event_saved_as_utf16_replays():
    from napstack.emulator.replay import load_event

    assert load_event(HOSTILE / "events" / "utf16-bom.json")["detail-type"] == "EC2 Instance Launch Successful"


BAD_SCENARIOS = {
    "binary.yaml": "NUL characters",
    "empty-error.yaml": "checks.0.error: String should have at least 1 character",
    "unknown-key.yaml": "checks.0.tcpp: unknown key (check its spelling)",
}


@pytest.mark.parametrize("name", sorted(BAD_SCENARIOS))
def test_a_bad_scenario_is_one_named_line_and_exit_2(name):
    args = ["replay", "events/asg-launch-successful.json", "--scenario", str(HOSTILE / "scenarios" / name)]
    assert_refused_in_one_line(args, name, BAD_SCENARIOS[name])


def _special_file(tmp_path, kind: str) -> str:
    if kind == "device":
        return "/dev/zero"  # read to its end, it never ends
    path = tmp_path / f"input-{kind}"
    if kind == "fifo":
        os.mkfifo(path)  # opened, it waits for a writer that never comes
    elif kind == "folder":
        path.mkdir()
    else:  # a regular file larger than any napstack file, whose every line is valid YAML
        path.write_text("# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    return str(path)


ROLES = {
    "config": lambda f: ["check", f],
    "cost config": lambda f: ["cost", f],
    "event": lambda f: ["replay", f],
    "scenario": lambda f: ["replay", "events/asg-launch-successful.json", "--scenario", f],
    "faults": lambda f: ["replay", "events/asg-launch-successful.json", "--faults", f],
}
KINDS = {"device": "is a device, not a file", "fifo": "is a FIFO, not a file", "folder": "is a folder, not a file",
         "huge": "larger than 1 MiB"}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("role", sorted(ROLES))
def test_a_device_a_fifo_a_folder_or_a_huge_file_is_one_named_line_and_exit_2(tmp_path, role, kind):
    path = _special_file(tmp_path, kind)
    assert_refused_in_one_line(ROLES[role](path), path, KINDS[kind])


def test_aliases_that_expand_to_billions_of_values_are_refused(tmp_path):
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(10)]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    for role in ("config", "scenario"):
        assert_refused_in_one_line(ROLES[role](str(path)), "laughs.yaml", "values once its aliases (*name) are expanded")


@pytest.mark.parametrize("check", ["{tcp: true}", "{tcp: '3'}", "{udp_packets: 1.0e+26}", "{ssh: 2.0}",
                                   "{udp_packets: 100000000000000000000000000}", "{running: 'no'}", "{repeat: yes}",
                                   "{players: '4'}", "{tcp: -1}"])
def test_scenario_counts_that_are_not_whole_numbers_are_refused_not_coerced(tmp_path, check):
    path = tmp_path / "scenario.yaml"
    path.write_text(f"checks:\n  - {check}\n")
    key = check.strip("{}").split(":")[0]
    assert_refused_in_one_line(ROLES["scenario"](str(path)), "scenario.yaml", f"checks.0.{key}: ")


@pytest.mark.parametrize("fault", ["{deploy: service, at_check: true}", "{deploy: service, at_check: '3'}",
                                   "{deploy: service, at_check: 3.0}", "{deploy: service, at_check: 1.0e+26}",
                                   "{call: ssm:SendCommand, error: X, times: true}",
                                   "{call: ssm:SendCommand, error: X, times: '2'}",
                                   "{execution: watchdog, abort_at_check: 1.0e+26}",
                                   "{call: lambda:Invoke, function: count_connections, error: X, at_check: 2.0}"])
def test_fault_counts_that_are_not_whole_numbers_are_refused_not_coerced(tmp_path, fault):
    path = tmp_path / "faults.yaml"
    path.write_text(f"- {fault}\n")
    assert_refused_in_one_line(ROLES["faults"](str(path)), "faults.yaml", "fault 1: ")


@pytest.mark.parametrize("error", ['"\\e[31mThrottling"', '"Throttling\\nStack trace: x"', "Throttling Exception", "x" * 101])
def test_a_fault_error_that_is_no_aws_error_code_is_refused_not_printed(tmp_path, error):
    path = tmp_path / "faults.yaml"
    path.write_text(f"- {{call: ssm:SendCommand, error: {error}}}\n")
    assert_refused_in_one_line(ROLES["faults"](str(path)), "faults.yaml", "fault 1: error: ")


def test_a_scenario_saved_as_utf16_is_read():
    from napstack.emulator.scenario import load_scenario

    assert load_scenario(HOSTILE / "scenarios" / "utf16-bom.yaml").checks[0].tcp == 2


@pytest.mark.parametrize(
    "args,message",
    [
        (["cost", "examples/minecraft-java.yaml", "--hours-per-month", "nan"], "nan is not a number of hours in a month"),
        (["cost", "examples/minecraft-java.yaml", "--hours-per-month", "745"], "not a number of hours in a month"),
        (["cost", "examples/minecraft-java.yaml", "--storage-gb=-inf"], "is not a size in GB"),
        (["cost", "examples/minecraft-java.yaml", "--sessions=-2"], "-2 is not a whole number of sessions"),
        (["cost", "examples/minecraft-java.yaml", "--sessions", "2.5"], "not a whole number of sessions"),
        (["replay", "events/asg-launch-successful.json", "--max-hours", "0"], "must be more than 0"),
        (["replay", "events/asg-launch-successful.json", "--live", ""], "--live needs a deployed stack name"),
        (["replay", "events/asg-launch-successful.json", "--live", "Napstack-X", "--scenario", "x.yaml"], "only apply to a local replay"),
        (["replay", "events/route53-query-lookup.json", "--live", "Napstack-X", "--yes"], "a query-log payload belongs to start_server"),
    ],
)
def test_absurd_command_lines_are_named_errors(args, message):
    code, out, err = cli(*args)
    assert code == 2 and message in err and "Traceback" not in err


def test_a_mistyped_aws_profile_is_named(monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    code, _, err = cli("status", "--stack", "Napstack-X")
    assert code == 2 and "no-such-profile" in err and "could not be found" in err


# YAML 1.1 retypes these when unquoted; napstack keeps them exactly as written.
RETYPED = ["1.20", "08:00", "1:30:00", "yes", "No", "on", "OFF", "0o17", "017", "0x1F", "1e3", ".inf", "-.Inf", ".NaN",
           "2026-01-01", "12_000", "+12", "TRUE", "0b101", "190:20:30"]
plain_text = st.one_of(
    st.sampled_from(RETYPED),
    st.text(alphabet=string.ascii_letters + string.digits + "._-+:/", min_size=1, max_size=12).filter(
        lambda t: t[0] not in "-:" and not t.endswith(":") and ": " not in t and t.lower() not in ("null", "~")
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=plain_text)
def test_environment_values_round_trip_exactly_as_written(tmp_path_factory, value):
    folder = tmp_path_factory.mktemp("env")
    (folder / "base.yaml").write_text("DomainName: example.org\nHostedZoneId: Z1234567890\n")
    leaf = (HOSTILE / "configs" / "utf8-bom.yaml").read_bytes().decode("utf-8-sig")
    leaf = leaf.replace("  MemoryMib: 512\n", f"  MemoryMib: 512\n  Environment:\n    VALUE: {value}\n    QUOTED: {json.dumps(value)}\n")
    (folder / "game.yaml").write_text(leaf)
    environment = load_config(folder / "game.yaml").leaf.container.environment
    assert environment == {"VALUE": value, "QUOTED": value}


documents = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20)),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)),
    max_leaves=20,
)
config_like = st.fixed_dictionaries(
    {},
    optional={
        "Name": st.one_of(st.text(max_size=30), st.integers()),
        "Container": st.one_of(documents, st.fixed_dictionaries({"Image": st.text(max_size=10), "Ports": documents,
                                                                  "MemoryMib": st.integers(), "Environment": documents})),
        "Ec2": st.one_of(documents, st.fixed_dictionaries({"InstanceType": st.sampled_from(["t3.small", "x.y", "", "t4g.medium"])})),
        "Dns": documents,
        "Watchdog": documents,
        "Volumes": documents,
    },
)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(document=st.one_of(config_like, documents), as_json=st.booleans())
def test_generated_configs_never_end_in_a_traceback_and_write_nothing(tmp_path_factory, document, as_json):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "base.yaml").write_text("DomainName: example.org\nHostedZoneId: Z1234567890\n")
    text = json.dumps(document) if as_json else yaml.safe_dump(document, allow_unicode=True)
    (folder / "game.yaml").write_text(text)
    before = sorted(p.name for p in folder.iterdir())
    for args in (["check", str(folder / "game.yaml")], ["cost", str(folder / "game.yaml")]):
        code, _, err = cli(*args)
        assert code in (0, 1, 2) and "Traceback" not in err
        if code:
            assert err.strip(), "a refusal says why"
    assert sorted(p.name for p in folder.iterdir()) == before


events = st.one_of(
    documents,
    st.fixed_dictionaries(
        {"source": st.one_of(st.sampled_from(["aws.autoscaling", "aws.ecs", "aws.states"]), documents),
         "detail-type": st.one_of(st.text(max_size=40), documents)},
        optional={"detail": documents, "time": st.one_of(st.text(max_size=25), documents), "awslogs": documents},
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(event=events)
def test_generated_events_are_refused_or_accepted_never_a_traceback(tmp_path_factory, event):
    from napstack.emulator.replay import EventError, load_event

    path = tmp_path_factory.mktemp("event") / "event.json"
    path.write_text(json.dumps(event))
    try:
        accepted = load_event(path)
    except EventError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert isinstance(accepted, dict)


# AWS's documented examples: the fixtures in events/, and Step Functions' "Execution Status Change" (its docs' example).
DOCUMENTED_EVENTS = {
    **{f.name: json.loads(f.read_text()) for f in sorted((ROOT / "events").glob("*.json"))
       if not f.name.startswith("bad-")},
    "execution-status-change": {
        "version": "0", "id": "315c1398-40ff-a850-213b-158f73e60175", "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states", "account": "123456789012", "time": "2019-02-26T19:42:21Z", "region": "us-east-1",
        "resources": ["arn:aws:states:us-east-1:123456789012:execution:state-machine-name:execution-name"],
        "detail": {"executionArn": "arn:aws:states:us-east-1:123456789012:execution:state-machine-name:execution-name",
                   "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:state-machine",
                   "name": "execution-name", "status": "FAILED", "startDate": 1551225146847, "stopDate": 1551225151881,
                   "input": "{}", "inputDetails": {"included": True}, "output": None, "outputDetails": None,
                   "error": "States.Timeout", "cause": "timed out"},
    },
}


# Fields AWS documents as null until known (an execution's output, a container's exit code before it exits), with
# the kind they have once known: where a documented event shows null, that kind is no wrong type either.
KIND_WHEN_KNOWN = {"output": "str", "error": "str", "cause": "str", "inputDetails": "dict", "outputDetails": "dict",
                   "stopDate": "number", "exitCode": "number"}


def logs_of(event: dict) -> dict:
    return json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))


def documented_fields(event: dict) -> list[tuple]:
    """Every field of the envelope, of `detail` and of each of a task's containers, or of a query-log delivery and
    each of its log events: what the replay, its rules, state machines and handlers may read."""
    if "awslogs" in event:
        logs = logs_of(event)
        return [("awslogs.data", key) for key in logs] + [
            ("awslogs.data", "logEvents", i, key) for i, e in enumerate(logs["logEvents"]) for key in e]
    paths = [(key,) for key in event]
    paths += [("detail", key) for key in event.get("detail", {})]
    paths += [("detail", "containers", i, key) for i, c in enumerate(event["detail"].get("containers", [])) for key in c]
    return paths


def field_value(event: dict, path: tuple):
    node = logs_of(event) if path[0] == "awslogs.data" else event
    for key in path[1:] if path[0] == "awslogs.data" else path:
        node = node[key]
    return node


def json_kind(value) -> str:
    return "null" if value is None else "bool" if isinstance(value, bool) else "number" if isinstance(value, (int, float)) \
        else type(value).__name__


values_of_any_type = st.one_of(st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                               st.text(max_size=8), st.lists(st.integers(), max_size=2),
                               st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


def mutated(event: dict, path: tuple, value) -> dict:
    logs = path[0] == "awslogs.data"
    document = logs_of(event) if logs else json.loads(json.dumps(event))
    node = document
    for key in path[1:-1] if logs else path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(document).encode())).decode()}} if logs else document


def test_every_field_of_the_documented_events_has_a_documented_type():
    from napstack.emulator.event_shapes import CONTAINER, DETAIL, ENVELOPE, LOG_EVENT, LOGS

    for name, event in DOCUMENTED_EVENTS.items():
        for path in documented_fields(event):
            if path[0] == "awslogs.data":
                known = path[1] in LOGS if len(path) == 2 else path[3] in LOG_EVENT
            else:
                known = path[0] in ENVELOPE if len(path) == 1 else path[1] in DETAIL[event["source"]] if len(path) == 2 \
                    else path[3] in CONTAINER
            assert known, f"{name}: {path} has no documented type"


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_documented_field_of_another_type_is_one_named_line(data):
    """The property over every field: another JSON type (null included, for a field AWS always fills) is refused."""
    from napstack.emulator.replay import EventError, validate_event

    name = data.draw(st.sampled_from(sorted(DOCUMENTED_EVENTS)))
    event = DOCUMENTED_EVENTS[name]
    path = data.draw(st.sampled_from(documented_fields(event)))
    original = field_value(event, path)
    value = data.draw(st.one_of(values_of_any_type, st.none()).filter(
        lambda v: json_kind(v) not in {json_kind(original), KIND_WHEN_KNOWN.get(path[-1])}
        and not (v is None and path[-1] in KIND_WHEN_KNOWN)))
    with pytest.raises(EventError) as refused:
        validate_event(mutated(event, path, value))
    field = ".".join(map(str, path))
    assert "\n" not in str(refused.value) and (f"'{field}' is " in str(refused.value) or "'time'" in str(refused.value))


@settings(max_examples=int(os.environ.get("NAPSTACK_EVENT_CASES", "8")), deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_documented_event_with_any_field_changed_replays_or_is_refused_never_a_traceback(tmp_path_factory, data):
    name = data.draw(st.sampled_from(sorted(DOCUMENTED_EVENTS)))
    event = DOCUMENTED_EVENTS[name]
    path = data.draw(st.sampled_from(documented_fields(event)))
    path_file = tmp_path_factory.mktemp("event") / name
    path_file.write_text(json.dumps(mutated(event, path, data.draw(st.one_of(st.none(), values_of_any_type)))))
    code, _, err = cli("replay", str(path_file), "--max-hours", "2")  # napstack_cli lets a traceback fail the test
    assert code in (0, 1, 2)
    if code == 2:
        assert len(problem_lines(err)) == 1, err


def test_a_query_log_payload_that_inflates_hugely_is_refused_before_it_does(tmp_path):
    import base64
    import zlib

    deflater = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip: 256 MiB of spaces in about 250 KB
    data = deflater.compress(b'{"logEvents": [') + b"".join(deflater.compress(b" " * 2 ** 20) for _ in range(256))
    path = tmp_path / "bomb.json"
    path.write_text(json.dumps({"awslogs": {"data": base64.b64encode(data + deflater.flush()).decode()}}))
    assert_refused_in_one_line(["replay", str(path)], "bomb.json", "'awslogs.data' inflates to more than 4 MiB")


def test_the_final_state_keeps_its_columns_for_a_long_name():
    from napstack.emulator.replay import ReplayResult
    from napstack.emulator.report import render

    name = ".".join(["a" * 63] * 3) + ".example.com"
    result = ReplayResult(dns_name=name, notes=[], timeline=[], executions=[], asg_desired=0, ecs_desired=0,
                          dns_value="192.0.2.1", notifications=[], watchdog_checks=12, scaled_down_after_check=10,
                          lifecycle_actions_completed=1, started_at="", ended_at="", faults_injected=2,
                          faults_not_fired=["fault 1 (x) never fired: y"])
    text = render(result)
    table = text[text.index("final state:\n") + len("final state:\n"):text.index("  executions:")].splitlines()
    assert len(table) == 9 and {line.index(value) for line, value in zip(table, [
        "0", "0", name, "192.0.2.1", "12", "check 10", "1", "2", "fault 1"])} == {25}, table


@pytest.mark.parametrize("manifest", ["{not json", '{"artifacts": {"X": {"type": "aws:cloudformation:stack"}}}', "[]"])
def test_a_corrupt_cloud_assembly_is_a_named_error(tmp_path, manifest):
    (tmp_path / "manifest.json").write_text(manifest)
    code, out, err = cli("summary", str(tmp_path))
    assert code == 2 and err.count("is not a cloud assembly napstack can read") == 1 and "Traceback" not in err


def test_a_query_log_line_with_an_unreadable_time_is_skipped_and_the_lookup_beside_it_starts_the_server(tmp_path):
    from napstack.emulator.log_payload import subscription_payload

    lookup = "1.0 {} Z0123456789ABCDEFGHIJ mc.example.com A NOERROR UDP IAD89-C1 198.51.100.7 -"
    payload = subscription_payload([lookup.format("yesterday"), lookup.format("2026-11-20T19:58:01.235Z")],
                                   "/aws/route53/example.com", "Z0123456789ABCDEFGHIJ/IAD89-C1")
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(payload))
    code, out, err = cli("replay", str(path), "--json", "--max-hours", "1")
    result = json.loads(out)
    assert code == 0 and "Traceback" not in err and not result["function_errors"]
    assert result["started_at"].startswith("2026-11-20T19:58:01") and "minecraft-java: server starting" in result["notifications"]


def test_an_assembly_whose_leaf_template_was_replaced_is_one_line(tmp_path):
    import shutil

    from napstack.synth import cached_assembly

    folder = tmp_path / "cdk.out"
    shutil.copytree(cached_assembly(load_config(ROOT / "examples" / "minecraft-java.yaml")), folder)
    (folder / "Napstack-MinecraftJava.template.json").write_text('{"x": 1}')
    code, out, err = cli("replay", str(ROOT / "events" / "asg-launch-successful.json"), "--assembly", str(folder))
    assert code == 1 and not out and err.strip().splitlines() == [
        "napstack: the assembly would not deploy: the assembly has 0 resources of type Custom::NapstackDnsRecord; "
        "the emulator runs exactly one"]

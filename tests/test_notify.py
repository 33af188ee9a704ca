"""Notify (issue 24): the config's channels, and what they synthesize to: a function subscribed to this server's alerts
of the kinds its channels take, reading exactly the named parameters; no URL anywhere in a template."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from napstack.assembly import load_assembly
from napstack.config import ConfigError, load_config
from tests.conftest import napstack_cli
from tests.test_config import BASE, with_changes, write_configs
from tests.test_stacks import one, resources_of, statements

CHANNELS = [{"Channel": "discord", "UrlParameter": "/napstack/discord"},
            {"Channel": "slack", "UrlParameter": "/napstack/team/slack", "Kinds": ["ready", "problem"]}]


@pytest.fixture(scope="module")
def notify_config(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notify")
    base = {**BASE, "Notify": [CHANNELS[0]]}
    return write_configs(folder, {**with_changes(), "Notify": [CHANNELS[1]]}, base)


@pytest.fixture(scope="module")
def notify_leaf(notify_config, synthesized):
    return load_assembly(synthesized(notify_config))["Napstack-TestGame"]


@pytest.mark.parametrize("entry, problem", [
    ({"Channel": "teams", "UrlParameter": "/napstack/x"}, "Notify.0.Channel: Input should be 'discord', 'slack' or 'webhook'"),
    ({"Channel": "discord", "UrlParameter": "napstack/discord"},
     "Notify.0.UrlParameter: 'napstack/discord' is not a full parameter name: start it with /"),
    ({"Channel": "discord", "UrlParameter": "/napstack/a b"}, "Notify.0.UrlParameter: '/napstack/a b' is not an SSM parameter name"),
    ({"Channel": "discord", "UrlParameter": "/aws/discord"}, "Notify.0.UrlParameter: '/aws/discord': SSM reserves names"),
    ({"Channel": "slack", "UrlParameter": "/napstack/s", "Kinds": ["ready", "online"]},
     "Notify.0.Kinds.1: Input should be 'starting', 'ready', 'stopped' or 'problem'"),
    ({"Channel": "slack", "UrlParameter": "/napstack/s", "Kinds": []}, "Notify.0.Kinds: List should have at least 1 item"),
    ({"Channel": "slack", "Url": "https://hooks.slack.com/x"}, "Notify.0.Url: unknown key"),
])
def test_check_names_each_bad_channel_in_one_line_and_exits_2(tmp_path, entry, problem):
    leaf_file = write_configs(tmp_path, {**with_changes(), "Notify": [entry]})
    with pytest.raises(ConfigError) as error:
        load_config(leaf_file)
    assert any(problem in line for line in error.value.problems), error.value.problems
    result = napstack_cli("check", str(leaf_file))
    assert result.returncode == 2 and problem in result.stderr and "Traceback" not in result.stderr


def test_the_base_and_the_game_channels_both_apply(notify_config):
    channels = load_config(notify_config).notify_channels
    assert [(c.channel, c.url_parameter, c.kinds) for c in channels] == [
        ("discord", "/napstack/discord", ["starting", "ready", "stopped", "problem"]),
        ("slack", "/napstack/team/slack", ["ready", "problem"]),
    ]


def test_no_channel_no_function(leaf):
    assert not any("Notify" in logical_id for logical_id in leaf.resources)


def test_the_function_hears_this_servers_alerts_of_its_channels_kinds_only(notify_leaf):
    subscription = next(s["Properties"] for s in resources_of(notify_leaf, "AWS::SNS::Subscription")
                        if s["Properties"]["Protocol"] == "lambda")
    assert subscription["FilterPolicy"] == {"server": ["test-game"], "kind": ["problem", "ready", "starting", "stopped"]}


def test_the_function_reads_exactly_the_named_parameters_and_no_url_is_deployed(notify_leaf, notify_config, synthesized):
    granted = [s for s in statements(notify_leaf) if "ssm:GetParameter" in json.dumps(s["Action"])]
    (statement,) = granted  # reading, and the tag that marks a gone webhook: on the named parameters only
    assert sorted(statement["Action"]) == ["ssm:AddTagsToResource", "ssm:GetParameter", "ssm:ListTagsForResource"]
    resources = json.dumps(statement["Resource"])
    assert "parameter/napstack/discord" in resources and "parameter/napstack/team/slack" in resources
    assert "*" not in resources and "kms:" not in json.dumps(statements(notify_leaf))
    function = next(f["Properties"] for f in resources_of(notify_leaf, "AWS::Lambda::Function")
                    if "NOTIFY_CHANNELS" in f["Properties"]["Environment"]["Variables"])
    assert json.loads(function["Environment"]["Variables"]["NOTIFY_CHANNELS"])[0]["UrlParameter"] == "/napstack/discord"
    for stack in load_assembly(synthesized(notify_config)).values():  # the owner creates the parameters, not a deploy
        for nested in stack.walk():
            assert not resources_of(nested, "AWS::SSM::Parameter") and "webhooks" not in json.dumps(nested.template)


def test_a_config_with_channels_passes_cfn_lint(notify_config, synthesized):
    templates = [str(t) for t in sorted(Path(synthesized(notify_config)).glob("*.template.json"))]
    result = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), "--format", "parseable", *templates],
                            capture_output=True, text=True)
    assert result.returncode in (0, 4), result.stdout + result.stderr


def test_cost_prices_the_notifications_and_the_asleep_month_stays_as_it_was(notify_config):
    from napstack.cost import estimate

    config = load_config(notify_config)
    priced = estimate(config, hours_per_month=60)
    (line,) = [line for line in priced.lines if line.item.startswith("Lambda (notify")]
    assert 0 < line.usd_per_month < 0.01 and not line.paid_while_idle and "60 invocations" in line.quantity
    without = estimate(config.model_copy(update={"base": config.base.model_copy(update={"notify": []}),
                                                 "leaf": config.leaf.model_copy(update={"notify": []})}), 60)
    assert priced.asleep_month == without.asleep_month
    assert priced.total == pytest.approx(without.total + line.usd_per_month)


def test_every_alert_the_state_machines_publish_says_its_server_and_kind():
    """The notify subscription's filter policy selects by these: an alert without a kind would reach no chat."""
    from tests.conftest import ROOT

    kinds = {"starting", "ready", "stopped", "problem", "terminated"}
    for asl in sorted((ROOT / "state_machines").glob("*.asl.json")):
        states = json.loads(asl.read_text())["States"]
        publishes = {name: s["Parameters"] for name, s in states.items() if s.get("Resource") == "arn:aws:states:::sns:publish"}
        assert publishes, asl
        for name, parameters in publishes.items():
            attributes = parameters["MessageAttributes"]
            assert attributes["server"]["StringValue"] == "${ServerName}", (asl.name, name)
            kind = attributes["kind"]
            assert kind.get("StringValue") in kinds or kind.get("StringValue.$") == "$.Watch.AlertKind", (asl.name, name)


def test_notify_test_shows_each_channels_body_for_each_kind_it_takes(notify_config):
    text = napstack_cli("notify-test", "--config", str(notify_config))
    assert text.returncode == 0, text.stderr
    shown = [line.split(" (URL")[0] for line in text.stdout.splitlines() if not line.startswith("  ")]
    assert shown == ["discord starting", "discord ready", "discord stopped", "discord problem", "slack ready", "slack problem"]
    posts = json.loads(napstack_cli("notify-test", "--config", str(notify_config), "--json").stdout)
    assert posts[0]["body"]["allowed_mentions"] == {"parse": []} and posts[-1]["body"]["blocks"][0]["type"] == "header"
    assert "test-game is ready: game.example.org:8080" in posts[1]["body"]["embeds"][0]["description"]
    assert "woken at 2026-01-01T20:00:00Z by a lookup of game.example.org (A)" in posts[0]["body"]["embeds"][0]["description"]


def test_notify_test_without_channels_or_credentials_says_what_is_missing(tmp_path, notify_config):
    import os

    bare = napstack_cli("notify-test", "--config", str(write_configs(tmp_path, with_changes())))
    assert bare.returncode == 2 and "no Notify: channels" in bare.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"), AWS_CONFIG_FILE=str(tmp_path / "none"),
               AWS_EC2_METADATA_DISABLED="true")
    live = subprocess.run([sys.executable, "-m", "napstack", "notify-test", "--config", str(notify_config), "--live"],
                          capture_output=True, text=True, env=env, timeout=60, cwd=Path(__file__).resolve().parent.parent)
    assert live.returncode == 2 and "no AWS credentials are configured" in live.stderr and "Traceback" not in live.stderr

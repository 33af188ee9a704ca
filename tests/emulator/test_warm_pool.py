"""Ec2.WarmPool in the emulator (issue 25): the hook and its rules tell an instance entering the pool, leaving it for
the group and terminated from it apart, with the events AWS documents for a group with a warm pool."""

import json
import shutil
from datetime import timedelta

import pytest

from napstack.config import load_config
from napstack.emulator import events as asg_events
from napstack.emulator.replay import _dns_value, _notifications, replay
from napstack.emulator.scenario import Scenario
from napstack.emulator.world import Emulator
from napstack.emulator.replay import _ready_figures
from napstack.emulator.scenario import CheckReport
from napstack.settings import LIFECYCLE_HOOK_NAME, UNAVAILABLE_IP, WARM_POOL_HOOK_NAME, WOKEN_TAG
from tests.conftest import ROOT


def pooled_config(folder):
    shutil.copy(ROOT / "examples" / "base.yaml", folder)
    text = (ROOT / "examples" / "minecraft-java.yaml").read_text()
    (folder / "mc.yaml").write_text(text.replace("  InstanceType: t3.medium\n", "  InstanceType: t3.medium\n  WarmPool: true\n"))
    return load_config(folder / "mc.yaml")


@pytest.fixture(scope="module")
def pooled(tmp_path_factory):
    return pooled_config(tmp_path_factory.mktemp("pooled"))


def subjects(emulator):
    return [s.removeprefix("minecraft-java: ") for s in _notifications(emulator)]


def ecs_desired(emulator):
    service = emulator.client("ecs").describe_services(cluster=emulator.stack.cluster_arn, services=[emulator.stack.service_name])
    return service["services"][0]["desiredCount"]


def hook_states(emulator):
    return [row["name"] for e in emulator.executions() if e["stateMachineArn"] == emulator.stack.hook_arn
            for row in (event.get("stateEnteredEventDetails") for event in emulator.history(e["executionArn"])) if row]


def test_an_instance_leaving_the_pool_for_the_group_is_the_real_start(pooled):
    with Emulator(pooled, Scenario(then="active")) as emulator:
        emulator.set_desired_capacity(1, quietly=True)
        (instance,) = emulator.instance_ids()
        event = asg_events.launch_successful(emulator.stack.asg_name, instance, emulator.clock.now(), ("WarmPool", "AutoScalingGroup"))
        assert emulator.deliver(event)
        emulator.run_until_settled(timedelta(minutes=3))
        assert subjects(emulator)[0] == "server starting"
        assert ecs_desired(emulator) == 1 and _dns_value(emulator) not in (None, UNAVAILABLE_IP)


def test_a_launch_into_the_pool_starts_nothing(pooled):
    with Emulator(pooled) as emulator:
        event = asg_events.launch_successful(emulator.stack.asg_name, "i-0123456789abcdef0", emulator.clock.now(), ("EC2", "WarmPool"))
        assert emulator.deliver(event) is None  # the rule leaves it out: no execution, nothing billed
        emulator.run_until_settled(timedelta(minutes=3))
        assert emulator.executions() == [] and subjects(emulator) == []
        assert (ecs_desired(emulator), _dns_value(emulator)) == (0, UNAVAILABLE_IP)


def test_the_hook_itself_ignores_a_launch_into_the_pool_handed_to_it(pooled):
    """What the rule leaves out can still be handed over by hand (replay --live, a StartExecution): not a start."""
    with Emulator(pooled) as emulator:
        event = asg_events.launch_successful(emulator.stack.asg_name, "i-0123456789abcdef0", emulator.clock.now(), ("EC2", "WarmPool"))
        emulator.client("stepfunctions").start_execution(stateMachineArn=emulator.stack.hook_arn, input=json.dumps(event))
        emulator.run_until_settled(timedelta(minutes=3))
        assert [e["status"] for e in emulator.executions()] == ["SUCCEEDED"]
        assert hook_states(emulator)[-1] == "InstanceWentToWarmPool"
        assert subjects(emulator) == [] and (ecs_desired(emulator), _dns_value(emulator)) == (0, UNAVAILABLE_IP)


def test_a_termination_from_the_pool_is_not_a_stop_of_the_game(pooled):
    with Emulator(pooled, Scenario(then="active")) as emulator:
        emulator.set_desired_capacity(1)  # the server runs, watched
        emulator.run_until_settled(timedelta(minutes=3), stop_at_limit=False)
        address = _dns_value(emulator)
        pooled_instance = "i-0fedcba9876543210"  # replaced in the pool meanwhile (its volume failed a health check)
        emulator.deliver(asg_events.terminate_lifecycle_action(
            emulator.stack.asg_name, pooled_instance, LIFECYCLE_HOOK_NAME, emulator.clock.now(), origin="WarmPool"))
        emulator.run_until_settled(timedelta(minutes=3), stop_at_limit=False)
        terminate_actions = [a["InstanceId"] for a in emulator.completed_lifecycle_actions
                             if a["LifecycleHookName"] == LIFECYCLE_HOOK_NAME]
        assert terminate_actions == [pooled_instance]  # let go at once
        assert "ContinueTerminationInWarmPool" in hook_states(emulator) and "StopGameTask" not in hook_states(emulator)
        assert subjects(emulator) == ["server starting", "ready"]  # no "server stopped"
        assert (ecs_desired(emulator), _dns_value(emulator)) == (1, address)
        watchdogs = [e["status"] for e in emulator.executions() if e["stateMachineArn"] == emulator.stack.watchdog_arn]
        assert watchdogs == ["RUNNING"]


# AWS's documented warm-pool example events (events/asg-warm-pool-*.json), replayed unchanged with a warm pool: no
# rule takes a launch lifecycle action (the instance completes napstack's itself); an instance returned to the pool
# on scale-in (which ECS groups never do: ReuseOnScaleIn is unsupported) leaves the group, so the game stops.
POOLED_EXPECTED = {
    "asg-warm-pool-launch-into-pool.json": ([], 0, False),
    "asg-warm-pool-launch-from-pool.json": ([], 0, False),
    "asg-warm-pool-launch-into-group.json": ([], 0, False),
    "asg-warm-pool-return-to-pool.json": (["server stopped"], 1, True),
}


@pytest.mark.parametrize("name", sorted(POOLED_EXPECTED))
def test_awss_warm_pool_examples_replay_with_a_warm_pool(pooled, name):
    alerts, completed, matched = POOLED_EXPECTED[name]
    result = replay(pooled, json.loads((ROOT / "events" / name).read_text()))
    assert [s.removeprefix("minecraft-java: ") for s in result.notifications] == alerts
    assert (result.lifecycle_actions_completed, result.rule_matched) == (completed, matched)
    assert (result.asg_desired, result.ecs_desired, result.dns_value) == (0, 0, UNAVAILABLE_IP)
    assert result.succeeded


# --- the emulated pool: filled at the deploy, taken by a wake, refilled after the stop ---------------------------


def pool_instances(emulator):
    return {i["InstanceId"]: i["LifecycleState"] for i in
            emulator.client("autoscaling").describe_warm_pool(AutoScalingGroupName=emulator.stack.asg_name)["Instances"]}


def ec2_state(emulator, instance):
    reservations = emulator.client("ec2").describe_instances(InstanceIds=[instance])["Reservations"]
    return reservations[0]["Instances"][0]["State"]["Name"]


def routes(emulator, detail_type="EC2 Instance Launch Successful"):
    return [(d.event["detail"]["EC2InstanceId"], d.event["detail"].get("Origin"), d.event["detail"].get("Destination"),
             bool(d.started)) for d in emulator.stack.deliveries if d.event.get("detail-type") == detail_type]


def test_the_deploy_fills_the_pool_with_one_stopped_instance_outside_the_group(pooled):
    with Emulator(pooled) as emulator:
        ((instance, state),) = pool_instances(emulator).items()
        assert state == "Warmed:Stopped" and ec2_state(emulator, instance) == "stopped"
        assert emulator.instance_ids() == []  # the pool is not the group: nothing runs, nothing is watched
        assert emulator.executions() == []


def test_a_wake_starts_the_pooled_instance_and_the_stop_refills_the_pool(pooled):
    with Emulator(pooled, Scenario(checks=[CheckReport(players=1, repeat=3)], then="idle")) as emulator:
        (first,) = pool_instances(emulator)
        emulator.set_desired_capacity(1)
        emulator.run_until_settled(timedelta(hours=2))
        assert ec2_state(emulator, first) == "terminated"  # scale-in terminates: no reuse for ECS groups
        ((second, state),) = pool_instances(emulator).items()
        assert second != first and state == "Warmed:Stopped" and ec2_state(emulator, second) == "stopped"
        # The wake's launch came from the pool and started the server; the refill's went into the pool, no rule took it.
        assert routes(emulator) == [(first, "WarmPool", "AutoScalingGroup", True), (second, "EC2", "WarmPool", False)]
        assert [(i, o, d) for i, o, d, _ in routes(emulator, "EC2 Instance-launch Lifecycle Action")] == [
            (first, "WarmPool", "AutoScalingGroup"), (second, "EC2", "WarmPool")]
        own = [a["InstanceId"] for a in emulator.completed_lifecycle_actions if a["LifecycleHookName"] == WARM_POOL_HOOK_NAME]
        assert own == [first, second]  # each instance completed its launch hook itself, allowed by its role
        assert subjects(emulator) == ["server starting", "ready", "scaled down", "server stopped"]
        assert [e["status"] for e in emulator.executions()].count("SUCCEEDED") == 3  # hook, watchdog, hook: no refill run
        # The next wake starts the refilled instance.
        emulator.set_desired_capacity(1)
        emulator.run_until_settled(timedelta(minutes=3), stop_at_limit=False)
        assert emulator.instance_ids() == [second] and pool_instances(emulator) == {}
        assert _dns_value(emulator) not in (None, UNAVAILABLE_IP)


def test_an_instance_that_cannot_complete_its_hook_is_said_and_left_to_the_heartbeat(pooled, tmp_path):
    from napstack.emulator.faults import load_faults

    (tmp_path / "faults.yaml").write_text("- {call: autoscaling:CompleteLifecycleAction, error: Throttling}\n")
    with Emulator(pooled, Scenario(then="active"), faults=load_faults(tmp_path / "faults.yaml")) as emulator:
        (instance,) = pool_instances(emulator)
        emulator.set_desired_capacity(1)
        emulator.run_until_settled(timedelta(minutes=3), stop_at_limit=False)
        (failed,) = [m for m in emulator.pool.history if m.state == "LaunchHookNotCompleted"]
        assert failed.instance_id == instance and "heartbeat (5 min) lets the instance go on" in failed.detail
        assert subjects(emulator)[0] == "server starting"  # the server starts all the same


def wake_figures(config, scenario) -> dict:
    with Emulator(config, scenario, aws_times=True) as emulator:
        emulator.client("autoscaling").create_or_update_tags(Tags=[{
            "ResourceId": emulator.stack.asg_name, "ResourceType": "auto-scaling-group", "Key": WOKEN_TAG,
            "Value": f"{emulator.clock.now().isoformat()} by a lookup of mc.example.com (A)", "PropagateAtLaunch": False}])
        emulator.set_desired_capacity(1)
        emulator.run_until_settled(timedelta(hours=1))
        return _ready_figures(emulator)


def test_with_aws_times_a_wake_from_the_pool_is_playable_a_minute_sooner(pooled):
    """The same wake replayed with AWS's modeled times: a launch against a start from the pool, whose image is on
    its disk; the checks (every 60 s) measure the task and the game as the ready metrics would."""
    session = Scenario(checks=[CheckReport(listening=False, query="timeout"), CheckReport(players=0)])
    cold = wake_figures(load_config(ROOT / "examples" / "minecraft-java.yaml"), session)
    warm = wake_figures(pooled, session)
    assert (cold["WakeToLaunchSeconds"], warm["WakeToLaunchSeconds"]) == (90, 30)
    assert warm["WakeToRunningTaskSeconds"] <= cold["WakeToRunningTaskSeconds"] - 60
    assert warm["WakeToReadySeconds"] <= cold["WakeToReadySeconds"] - 60


# --- a deploy that changes the launch template: the pooled instance is replaced, the game's never --------------


@pytest.fixture(scope="module")
def larger(tmp_path_factory, synthesized):
    """The pooled game redeployed on a larger instance type: a new launch template version."""
    from napstack.assembly import load_assembly

    folder = tmp_path_factory.mktemp("larger")
    pooled_config(folder)
    text = (folder / "mc.yaml").read_text()
    (folder / "mc.yaml").write_text(text.replace("  InstanceType: t3.medium\n", "  InstanceType: t3.large\n"))
    return load_assembly(synthesized(folder / "mc.yaml"))


def pool_templates(emulator):
    described = emulator.client("autoscaling").describe_warm_pool(AutoScalingGroupName=emulator.stack.asg_name)
    return {i["InstanceId"]: (i["LifecycleState"], i["InstanceType"], i["LaunchTemplate"]["Version"])
            for i in described["Instances"]}


def refresh_resource(emulator):
    (refresh,) = [c for c in emulator.deployment.custom_resources if c.type == "Custom::NapstackWarmPoolRefresh"]
    return refresh


def instance_type(emulator, instance):
    reservations = emulator.client("ec2").describe_instances(InstanceIds=[instance])["Reservations"]
    return reservations[0]["Instances"][0]["InstanceType"]


def test_a_deploy_with_a_new_launch_template_replaces_the_pooled_instance_and_the_next_wake_starts_the_new_one(
        pooled, larger):
    with Emulator(pooled, Scenario(then="active")) as emulator:
        ((stale, before),) = pool_templates(emulator).items()
        assert before == ("Warmed:Stopped", "t3.medium", "1")
        emulator.deployment.update(larger)  # the custom resource's Update, as its own role (IAM enforced)
        emulator.run_until_settled(timedelta(minutes=10), stop_at_limit=False)
        assert ec2_state(emulator, stale) == "terminated"
        ((fresh, after),) = pool_templates(emulator).items()
        assert after == ("Warmed:Stopped", "t3.large", "2") and fresh != stale
        # Its termination reached the hook with Origin WarmPool, which let it go: not a stop of the game.
        assert "ContinueTerminationInWarmPool" in hook_states(emulator) and subjects(emulator) == []
        assert [i for i, _, _, _ in routes(emulator)] == [fresh]  # the refill's launch, into the pool
        emulator.set_desired_capacity(1)
        emulator.run_until_settled(timedelta(minutes=3), stop_at_limit=False)
        assert emulator.instance_ids() == [fresh] and instance_type(emulator, fresh) == "t3.large"
        assert subjects(emulator)[0] == "server starting"


def test_a_deploy_while_a_game_is_played_never_touches_its_instance(pooled, larger):
    with Emulator(pooled, Scenario(then="active")) as emulator:
        emulator.set_desired_capacity(1)
        emulator.run_until_settled(timedelta(minutes=3), stop_at_limit=False)
        (playing,) = emulator.instance_ids()
        assert pool_templates(emulator) == {}  # taken by the wake; the pool refills after the stop
        emulator.deployment.update(larger)
        emulator.run_until_settled(timedelta(minutes=3), stop_at_limit=False)
        assert emulator.instance_ids() == [playing] and ec2_state(emulator, playing) == "running"
        assert "holds launch template version 2 or nothing" in emulator.deployment.send(refresh_resource(emulator), "Update",
                                                                                          old_properties={})["Data"]["Outcome"]
        watchdogs = [e["status"] for e in emulator.executions() if e["stateMachineArn"] == emulator.stack.watchdog_arn]
        assert watchdogs == ["RUNNING"] and subjects(emulator) == ["server starting", "ready"]


def test_a_termination_still_refused_fails_the_deploy_and_the_next_wake_still_starts(pooled, larger, tmp_path):
    """Throttled past its retries (botocore's standard mode; injected faults come after them): the custom resource
    fails, so CloudFormation fails the update and rolls back to the version the pooled instance has."""
    from napstack.emulator.faults import load_faults
    from napstack.emulator.template import TemplateError

    (tmp_path / "faults.yaml").write_text(
        "- {call: autoscaling:TerminateInstanceInAutoScalingGroup, error: Throttling, times: 100}\n")
    with Emulator(pooled, Scenario(then="active"), faults=load_faults(tmp_path / "faults.yaml")) as emulator:
        (stale,) = pool_templates(emulator)
        with pytest.raises(TemplateError, match="WarmPoolRefresh.*Update failed.*Throttling"):
            emulator.deployment.update(larger)
        emulator.run_until_settled(timedelta(minutes=10), stop_at_limit=False)
        assert pool_templates(emulator)[stale][0] == "Warmed:Stopped" and subjects(emulator) == []  # asleep, as it was
        emulator.set_desired_capacity(1)
        emulator.run_until_settled(timedelta(minutes=3), stop_at_limit=False)
        assert emulator.instance_ids() == [stale] and subjects(emulator)[0] == "server starting"

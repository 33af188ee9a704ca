"""An in-process AWS holding what the synthesized assembly deploys, with the real state machines and handlers.

`Emulator(config)` is a context manager: inside it, moto plays AWS (fake credentials, no endpoint can be
reached) with every resource napstack runs created from the templates (napstack/emulator/deploy.py), every
call a task, handler or rule makes validated and authorized with its role's policies (napstack/emulator/iam.py),
the ASG emitting the EventBridge events AWS would, and the rules starting their targets.
On exit every execution still running is stopped and waited for.
"""

from __future__ import annotations

import contextlib
import email.message
import io
import json
import logging
import os
import threading
import time
import uuid
from pathlib import Path
from unittest import mock
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable
from urllib.error import HTTPError

import boto3
from botocore.exceptions import ClientError, ParamValidationError
from botocore.validate import validate_parameters
from moto import mock_aws
from moto.events.models import EventPattern

from napstack.assembly import AssemblyError, assembly_digest, load_assembly
from napstack.config import NapstackConfig
from napstack.emulator import events as asg_events
from napstack.emulator import in_process_calls
from napstack.emulator.clock import SimulatedClock
from napstack.emulator.deploy import EmulatedDeployment, FunctionUrl
from napstack.emulator.function_url import HttpResponse, http_response, public_url_allowed, request_event
from napstack.emulator.faults import FaultPlan
from napstack.emulator.iam import Authorizer
from napstack.emulator.log_payload import decoded_lines, passing_events
from napstack.function_modules import FUNCTIONS_DIR, SHARED, load_function_module
from napstack.emulator.moto_gaps import SNS_DELIVERY, InvocationHooks, _Patches, calling_principal, in_a_handler, patched
from napstack.emulator.scenario import Scenario, SimulatedHost
from napstack.emulator.schedules import Schedule, ScheduleRunner
from napstack.emulator.template import ACCOUNT_ID, TemplateError
from napstack.emulator import aws_times as modeled
from napstack.emulator.warm_pool import (INSTANCE, EmulatedWarmPool, pooled_instances_ended_on_request,
                                         pooled_instances_in_describe_warm_pool)
from napstack.settings import (
    COUNT_CONNECTIONS, DNS_RECORD, FROM_EC2, IN_GROUP, IN_WARM_POOL, NOTIFY, RECONCILER, START_SERVER, WARM_POOL_HOOK_NAME,
)

DNS_RECORD_TYPE = "Custom::NapstackDnsRecord"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
    # moto's catalogue of thousands of public AMIs takes half the set-up time to parse; the deployment registers the
    # one image its launch template's SSM parameter names instead.
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}
EVENTBRIDGE_LATENCY_SECONDS = 1
# Where each webhook parameter points in the emulator: a name that resolves nowhere (RFC 6761), never reached.
PLACEHOLDER_WEBHOOK = "https://webhooks.napstack.invalid/{channel}{parameter}"
REAL_SECONDS_PER_RUN = 300  # a safety net in real time; simulated time has its own limit
_CLIENTS: dict[tuple[str, str], object] = {}  # Emulator.client: one per service and region, shared in the process
_CLIENTS_LOCK = threading.Lock()


@dataclass
class Delivery:
    """One event offered to the rules, and what it started (an execution ARN, a function; None: nothing)."""

    time: datetime
    event: dict
    started: str | None
    result: dict | None = None
    error: str | None = None
    refused: bool = False  # IAM or a resource policy refused the delivery (not a fault, not "nothing reads it")
    filtered_out: bool = False  # a query-log subscription filter passed none of the payload's log events


@dataclass
class EmulatedStack:
    """Names and ARNs of what the emulator created, as the stack outputs would give them."""

    asg_name: str
    cluster_arn: str
    service_name: str
    task_definition_arn: str
    hosted_zone_id: str
    record_name: str
    topic_arn: str
    watchdog_arn: str
    hook_arn: str
    function_name: str
    start_function_name: str
    record_function_name: str
    deliveries: list[Delivery] = field(default_factory=list)
    scheduled_runs: list[Delivery] = field(default_factory=list)  # each schedule's invocations of its target
    webhook_posts: list[WebhookPost] = field(default_factory=list)


@dataclass
class WebhookPost:
    """What the notify function would have posted to a chat, recorded instead of sent."""

    time: datetime
    channel: str
    kind: str
    subject: str
    body: dict


def _moment(value) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


class _FaultHooks(InvocationHooks):
    """Injected faults around the in-process handlers: a check that times out, a watchdog stopped by hand."""

    def __init__(self, emulator: "Emulator") -> None:
        self.emulator = emulator

    @staticmethod
    def _check(folder: str, event) -> int | None:
        try:
            return int(event["Watch"]["Checks"]) + 1 if folder == COUNT_CONNECTIONS else None
        except (KeyError, TypeError, ValueError):
            return None

    def fails_with(self, folder: str, event) -> str | None:
        if not self.emulator._armed:
            return None
        return self.emulator.faults.invoke_error(folder, self._check(folder, event), self.emulator.clock.now())

    def after(self, folder: str, event) -> None:
        check = self._check(folder, event)
        if self.emulator._armed and check and self.emulator.faults.abort_after(check, self.emulator.clock.now()):
            self.emulator.stop_watchdog_by_hand(event["ExecutionName"])
        if self.emulator._armed and check and self.emulator.faults.deploy_after(check, self.emulator.clock.now()):
            self.emulator.deploy_service_update()


class _NoContent:
    """An HTTP response as urlopen returns it: 204, no body."""

    status = 204

    def read(self, *_):
        return b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


class Emulator:
    def __init__(
        self,
        config: NapstackConfig,
        scenario: Scenario | None = None,
        start: datetime | None = None,
        faults: FaultPlan | None = None,
        assembly: Path | None = None,
        schedules: bool = True,
        aws_times: bool = False,
        pace: float | None = None,
    ):
        """`assembly`: a synthesized cdk.out for `config` (default: synthesized in-process, kept in a cache).
        `schedules=False` leaves the schedules (the reconciler) off: for a test of one state machine in a world set up
        by hand, which the reconciler would otherwise repair. `aws_times`: AWS's own steps of a wake take the time
        napstack/emulator/aws_times.py models (a launch, the image pull), not none. `pace`: simulated seconds per real
        second at most, for a world a person watches (`napstack page`); default: as fast as it runs."""
        self.run_schedules = schedules
        self.aws_times = aws_times
        self.pool: EmulatedWarmPool | None = None  # the group's warm pool (Ec2.WarmPool)
        self.config = config
        self.assembly_folder = assembly
        self.region = config.base.leaf_region
        self.faults = faults or FaultPlan([])
        self._armed = False  # faults fire only once the world is built
        self._emulator_calls = threading.local()
        self.clock = SimulatedClock(start or datetime(2026, 1, 1, 20, 0, tzinfo=timezone.utc), pace=pace)
        self.host = SimulatedHost(scenario or Scenario(), now=self.clock.now)
        self.completed_lifecycle_actions: list[dict] = []
        self._patches = _Patches()
        self._quiet = 0  # >0 while the emulator sets up the world: no events for its own changes
        self._stopping = False  # the emulator stops executions itself: no status-change events for those
        self.stop_causes: dict[str, str] = {}  # execution ARN -> why the emulator (or a fault) stopped it
        self._exit = contextlib.ExitStack()

    # --- lifecycle ---------------------------------------------------------------------------------------

    def __enter__(self) -> "Emulator":
        if self.assembly_folder is None:
            from napstack.synth import cached_assembly

            self.assembly_folder = cached_assembly(self.config)
        self.assembly = load_assembly(self.assembly_folder)
        with contextlib.ExitStack() as setting_up:  # undone at once if the world cannot be built
            setting_up.enter_context(mock.patch.dict(os.environ, {**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": self.region}))
            # moto logs every JSONPath miss (IsPresent checks, Catch paths) as an error: not news for a replay.
            moto_log = logging.getLogger("moto")
            setting_up.callback(moto_log.setLevel, moto_log.level)
            moto_log.setLevel(logging.CRITICAL)
            setting_up.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
            setting_up.enter_context(
                patched(
                    self.clock,
                    self._function_folder,
                    self.host.answer,
                    self.completed_lifecycle_actions,
                    _FaultHooks(self),
                    self.host.game_answer,
                    self._record_webhook_post,
                )
            )
            setting_up.callback(self._patches.undo)
            self._enforce_iam_and_inject_faults()
            # Not a gap but a cost: the calls a check makes reach moto without botocore's HTTP round trip.
            in_process_calls.take_calls_in_process(self._patches)
            self.stack = self._deploy()
            if self.stack.asg_name in self.deployment.warm_pools:
                self.pool = EmulatedWarmPool(self, self.stack.asg_name)
                pooled_instances_in_describe_warm_pool(self._patches, {self.stack.asg_name: self.pool})
                pooled_instances_ended_on_request(self._patches, {self.stack.asg_name: self.pool})
                self.pool.fill(announced=False)
            self._observe_the_group()
            self._observe_the_executions()
            self.schedules = ScheduleRunner(self.clock, self.deployment.schedules, self.clock.now(), self._run_schedule,
                                            lambda: self._stopping)
            self._armed = True
            self._exit = setting_up.pop_all()
        return self

    def __exit__(self, *exc) -> None:
        with self._exit:
            self.stop_all_executions("the emulator is shutting down")

    def client(self, service: str, region: str | None = None):
        """One client per service and region for every emulator in this process: creating one costs ~40 ms, and moto
        answers whichever emulator is current (its state is reset on each entry). Default: the leaf's region."""
        key = (service, region or self.region)
        with _CLIENTS_LOCK:
            if key not in _CLIENTS:
                _CLIENTS[key] = boto3.client(service, region_name=key[1])
            return _CLIENTS[key]

    def deployment_summary(self) -> dict:
        """Which stacks were deployed from where, and a hash of their templates and assets: the same digest, the
        same deployment."""
        return {
            "stacks": [f"{name} ({len(top.walk()) - 1} nested)" if top.nested else name for name, top in self.assembly.items()],
            "digest": assembly_digest(self.assembly),
            "assembly": str(self.assembly_folder),
        }

    def _function_folder(self, function_name: str) -> str:
        function = self.deployment.functions.get(function_name)
        if function is None or function.folder is None:
            raise TemplateError(f"the emulator cannot run {function_name}: its code is none of functions/* "
                                "(replay an assembly synthesized from this checkout)")
        return function.folder

    # --- the world a deployed leaf stack holds --------------------------------------------------------------

    def _deploy(self) -> EmulatedStack:
        """Every stack of the assembly, as CloudFormation would create it, in moto."""
        self._create_hosted_zone()
        self.deployment = EmulatedDeployment(self.assembly, self.client)
        self.authorizer = Authorizer(self.deployment.policies, self.deployment.managed_policies)  # filled as it deploys
        self.deployment.deploy()
        self._create_webhook_parameters()
        leaf = self.assembly.get(self.config.leaf.stack_name)
        if leaf is None:
            raise TemplateError(f"the assembly has no stack {self.config.leaf.stack_name} for {self.config.leaf.name}: "
                                "was it synthesized from this config?")
        one = self.deployment.single
        records = [c for c in self.deployment.custom_resources if c.type == DNS_RECORD_TYPE]
        if len(records) != 1:  # a hand-edited template: said, not a StopIteration
            raise TemplateError(f"the assembly has {len(records)} resources of type {DNS_RECORD_TYPE}; the emulator "
                                "runs exactly one")
        record = records[0]
        machines = {stack.name: arn for arn, (stack, _) in self.deployment.state_machines.items()}
        functions = {f.folder: f.name for f in self.deployment.functions.values() if f.folder}
        unknown = [name for name in (COUNT_CONNECTIONS, DNS_RECORD) if name not in functions]
        if unknown:
            raise AssemblyError(f"the assembly's {' and '.join(unknown)} code is none of this checkout's functions/* "
                                "(renamed or removed since the synth?): replay an assembly synthesized from this checkout")
        cluster = one(leaf, "AWS::ECS::Cluster")
        service = one(leaf, "AWS::ECS::Service")
        return EmulatedStack(
            asg_name=one(leaf, "AWS::AutoScaling::AutoScalingGroup").ref,
            cluster_arn=cluster.attributes["Arn"],
            service_name=service.attributes["Name"],
            task_definition_arn=one(leaf, "AWS::ECS::TaskDefinition").ref,
            hosted_zone_id=record.properties["HostedZoneId"],
            record_name=record.properties["RecordName"],
            topic_arn=one(None, "AWS::SNS::Topic").ref,
            watchdog_arn=machines["Watchdog"],
            hook_arn=machines["AsgStateChangeHook"],
            function_name=functions[COUNT_CONNECTIONS],
            start_function_name=functions.get(START_SERVER),
            record_function_name=functions[DNS_RECORD],
        )

    def _create_webhook_parameters(self) -> None:
        """Each parameter a notify function reads, as the owner creates it (a SecureString), holding a placeholder."""
        for function in self.deployment.functions.values():
            if function.folder != NOTIFY:
                continue
            for channel in json.loads(function.environment.get("NOTIFY_CHANNELS", "[]")):
                url = PLACEHOLDER_WEBHOOK.format(channel=channel["Channel"], parameter=channel["UrlParameter"])
                self.client("ssm").put_parameter(Name=channel["UrlParameter"], Value=url, Type="SecureString",
                                                 Overwrite=True)

    def _record_webhook_post(self, request, timeout=None):
        """notify's urlopen: a post to a placeholder is recorded and answered 204 as Discord does; any other URL is
        refused, as the network is out of reach."""
        from napstack.emulator.moto_gaps import RealEndpointBlocked

        url = request.full_url
        if not url.startswith(PLACEHOLDER_WEBHOOK.split("{", 1)[0]):
            raise RealEndpointBlocked("the emulator refused a webhook post to a URL that is not its placeholder")
        alert = getattr(SNS_DELIVERY, "alert", None) or {}
        kind = alert.get("MessageAttributes", {}).get("kind", {}).get("Value", "")
        channel = url.removeprefix(PLACEHOLDER_WEBHOOK.split("{", 1)[0]).split("/", 1)[0]
        status = self.faults.webhook_answer(channel, self.clock.now()) if self._armed else None
        if status is not None:  # as urlopen raises an answer of 4xx or 5xx: nothing reached the chat
            raise HTTPError(url, status, "injected fault", email.message.Message(), io.BytesIO(b'{"message": "injected"}'))
        self.stack.webhook_posts.append(
            WebhookPost(self.clock.now(), channel, kind, alert.get("Subject") or "", json.loads(request.data))
        )
        return _NoContent()

    def _create_hosted_zone(self) -> None:
        """The config's public zone, which exists before napstack."""
        self.create_hosted_zone(self.config.base.domain_name, self.config.base.hosted_zone_id)

    def create_hosted_zone(self, domain_name: str, zone_id: str) -> None:
        """A public zone with the id a config names (moto makes up zone ids)."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.route53.models import route53_backends

        zone = self.client("route53").create_hosted_zone(Name=domain_name, CallerReference=str(uuid.uuid4()))
        made_up = zone["HostedZone"]["Id"].rsplit("/", 1)[-1]
        backend = route53_backends[DEFAULT_ACCOUNT_ID]["aws"]
        backend.zones[zone_id] = backend.zones.pop(made_up)
        backend.zones[zone_id].resource_id = zone_id

    def delete_record(self) -> dict:
        """What `cdk destroy` does to the record once the hook's rules and state machine are gone."""
        record = next(c for c in self.deployment.custom_resources if c.type == DNS_RECORD_TYPE)
        return self.deployment.send(record, "Delete")

    # --- EventBridge: the group's events and the hook's rule ------------------------------------------------

    def _observe_the_group(self) -> None:
        """AWS emits an event for each instance the group launches or terminates; moto does not, so we do."""
        from moto.autoscaling.models import FakeAutoScalingGroup

        original = FakeAutoScalingGroup.set_desired_capacity
        emulator = self

        def set_desired_capacity(group, new_capacity):
            wanted = group.min_size if new_capacity is None else new_capacity
            ours = not emulator._quiet and group.name == emulator.stack.asg_name
            if ours and emulator.host.launch_failures_left and wanted > len(group.instance_states):
                group.desired_capacity = wanted  # wanted, not launched: the scenario's zone has no capacity
                emulator._fail_launch(group.name, attempt=1)
                return
            before = {state.instance.id for state in group.instance_states}
            pool = emulator.pool if ours else None
            from_pool = pool.take(group) if pool and wanted > len(group.instance_states) else None
            original(group, new_capacity)
            after = {state.instance.id for state in group.instance_states}
            for state in group.instance_states:  # moto stamps LaunchTime with the wall clock
                if state.instance.id not in before:
                    state.instance.launch_time = emulator.clock.now().astimezone(timezone.utc).replace(tzinfo=None)
            if emulator._quiet or group.name != emulator.stack.asg_name:
                return
            now = emulator.clock.now()
            launched = sorted(after - before)
            if launched:  # a new instance's game has answered nothing yet (the status page asks it between checks)
                emulator.host.new_instance()
            # InService once booted: at once, or after the modeled launch (shorter from the pool).
            booted = now + timedelta(seconds=modeled.launch_seconds(bool(from_pool)) if emulator.aws_times and launched else 0)
            raised = []
            for instance_id in launched:
                route = None
                if pool:  # the group's events carry where the instance came from; it completes its own launch hook
                    route = (IN_WARM_POOL if instance_id == from_pool else FROM_EC2, IN_GROUP)
                    raised.append(asg_events.launch_lifecycle_action(group.name, instance_id, WARM_POOL_HOOK_NAME, now, route))
                raised.append(asg_events.launch_successful(group.name, instance_id, booted, route))
                if emulator.aws_times:  # the game's container: after the agent, and the pull unless the image is cached
                    emulator.host.container_from = booted + timedelta(seconds=modeled.container_seconds(bool(from_pool)))
            raised += emulator.terminate_events(group.name, sorted(before - after))
            if raised:
                emulator.deliver_after_latency(raised, (booted - now).total_seconds())
            for instance_id in launched if pool else ():
                emulator.later((booted - now).total_seconds(), lambda i=instance_id: pool.complete_own_launch(i))
            if pool and before - after:  # ReuseOnScaleIn is unsupported for ECS: a new instance refills the pool
                pool.fill(announced=True)

        self._patches.set(FakeAutoScalingGroup, "set_desired_capacity", set_desired_capacity)

    def terminate_events(self, group_name: str, instance_ids: list[str], origin: str = IN_GROUP) -> list[dict]:
        """Auto Scaling emits one terminate lifecycle event per terminate hook, for each instance it ends."""
        hooks = sorted(hook["LifecycleHookName"] for hook in self.deployment.hooks.get(group_name, [])
                       if hook["LifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING")
        return [asg_events.terminate_lifecycle_action(group_name, instance_id, hook_name, self.clock.now(), origin)
                for instance_id in instance_ids for hook_name in hooks]

    def _fail_launch(self, group_name: str, attempt: int) -> None:
        """A launch that fails for want of capacity: Auto Scaling's event, then its own retry, in another zone."""
        from moto.autoscaling.models import autoscaling_backends
        from moto.core import DEFAULT_ACCOUNT_ID

        self.host.launch_failures_left -= 1
        zone = f"{self.region}{'abc'[(attempt - 1) % 3]}"
        self.deliver_after_latency([asg_events.launch_unsuccessful(
            group_name, self.clock.now(), self.region, zone, self.config.leaf.ec2.instance_type)])
        ticket = self.clock.join()

        def retry() -> None:
            self.clock.sleep(min(60 * 2 ** (attempt - 1), 600), interrupted=lambda: self._stopping)
            group = autoscaling_backends[DEFAULT_ACCOUNT_ID][self.region].autoscaling_groups.get(group_name)
            if self._stopping or group is None or group.desired_capacity <= len(group.instance_states):
                return  # set back to zero meanwhile (the hook gave up, or a person did)
            if self.host.launch_failures_left:
                self._fail_launch(group_name, attempt + 1)
                return
            with self.emulators_own_calls():  # Auto Scaling's own launch: the group's events follow as for any
                self.client("autoscaling").set_desired_capacity(
                    AutoScalingGroupName=group_name, DesiredCapacity=group.desired_capacity)

        threading.Thread(target=self.clock.run_as, args=(ticket, retry), daemon=True).start()

    def rules(self) -> list[tuple[dict, dict]]:
        """(event pattern, target) for each target of each enabled rule the templates deploy."""
        return [(rule.pattern, target) for rule in self.deployment.rules for target in rule.targets]

    def _observe_the_executions(self) -> None:
        """Step Functions sends an "Execution Status Change" event when an execution ends; moto does not, so we do
        (not for the stops the emulator itself makes at a replay's limit or on exit)."""
        from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

        original = BaseExecutionWorkerCommunication.terminated
        emulator = self

        def terminated(communication) -> None:
            original(communication)
            execution = communication.execution
            if emulator._stopping or execution.state_machine_arn != emulator.stack.watchdog_arn:
                return
            emulator.deliver(asg_events.execution_status_change(execution, emulator.clock.now()))

        self._patches.set(BaseExecutionWorkerCommunication, "terminated", terminated)

    def deliver_after_latency(self, events: list[dict], after_seconds: float = 0) -> None:
        """EventBridge delivers a service's events about a second after they happen (`after_seconds` from now), not
        inside the call that caused them: whatever that call's caller does next (a watchdog sending its last alert)
        happens first."""
        def deliver_all() -> None:
            for event in events:
                if not self._stopping:
                    self.deliver(event)

        self.later(after_seconds + EVENTBRIDGE_LATENCY_SECONDS, deliver_all)

    def later(self, seconds: float, action: Callable[[], None]) -> None:
        """`action` on the simulated clock `seconds` from now, in a thread of its own (unless the emulator stops)."""
        ticket = self.clock.join()

        def run() -> None:
            self.clock.sleep(seconds, interrupted=lambda: self._stopping)
            if not self._stopping:
                action()

        threading.Thread(target=self.clock.run_as, args=(ticket, run), daemon=True).start()

    def deliver(self, event: dict) -> str | None:
        """Offer `event` to every rule, start the target of each match; returns what it started."""
        try:
            return self._offer(event)
        finally:  # the world may have changed (or an event went missing): the schedules look again, once the
            if self._armed and self.run_schedules:  # targets have joined the clock: a quiet world cannot run ahead
                self.schedules.wake()

    def _offer(self, event: dict) -> str | None:
        if "awslogs" in event:
            return self._deliver_log_subscription(event)
        targets = [target for pattern, target in self.rules() if EventPattern.load(json.dumps(pattern)).matches_event(event)]
        # EventBridge loses or repeats a delivery to a target: an event no rule takes has none to lose.
        action = self.faults.event_action(event, self.clock.now()) if self._armed and targets else None
        if action == "lost":
            self.stack.deliveries.append(Delivery(self.clock.now(), event, None, error="lost (injected fault)"))
            return None
        started, error = None, None
        for _ in range(2 if action == "duplicate" else 1):
            for target in targets:
                with self.emulators_own_calls():  # EventBridge's call, not napstack's: no injected fault
                    try:  # as the rule's role, which must be allowed to start the target
                        sfn = self.client("stepfunctions")
                        request = {"stateMachineArn": target["Arn"], "input": json.dumps(event)}
                        self.authorizer.check(target.get("RoleArn", ""), "events", sfn, "StartExecution", request)
                        started = sfn.start_execution(**request)["executionArn"]
                    except ClientError as failed:  # EventBridge retries, then drops the event
                        error = f"{target['Arn'].rsplit(':', 1)[-1]} not started: {failed}"
            self.stack.deliveries.append(Delivery(self.clock.now(), event, started, error=error, refused=bool(error)))
        return started

    def _run_schedule(self, schedule: Schedule, moment: datetime) -> bool:
        """What Scheduler does at `moment`: invoke the target as the schedule's role, the input's context attribute
        filled in. Recorded in `scheduled_runs`; True when the run found nothing to do (the schedule may go quiet)."""
        function = self.client("lambda")
        payload = schedule.input.replace("<aws.scheduler.scheduled-time>", moment.strftime("%Y-%m-%dT%H:%M:%SZ"))
        request = {"FunctionName": schedule.target_arn, "Payload": payload}
        event = json.loads(payload)
        folder = next((f.folder for f in self.deployment.functions.values() if f.arn == schedule.target_arn), None)
        try:
            self.authorizer.check(schedule.role_arn, "scheduler", function, "Invoke", request)
        except ClientError as refused:  # a schedule whose role may not invoke its target fails every run alike
            self.stack.scheduled_runs.append(Delivery(moment, event, None, error=f"{schedule.name}: {refused}", refused=True))
            return True
        response = function.invoke(**request)
        result = json.loads(response["Payload"].read() or "null")
        error = f"{result.get('errorType')}: {result.get('errorMessage')}" if response.get("FunctionError") else None
        self.stack.scheduled_runs.append(Delivery(moment, event, folder, None if error else result, error))
        return not error and bool((result or {}).get("consistent"))

    @contextlib.contextmanager
    def emulators_own_calls(self):
        depth = getattr(self._emulator_calls, "depth", 0)
        self._emulator_calls.depth = depth + 1
        try:
            yield
        finally:
            self._emulator_calls.depth = depth

    def _napstack_is_calling(self) -> bool:
        """A state machine task or a handler is calling, not the emulator setting up or reading the world."""
        if getattr(self._emulator_calls, "depth", 0):
            return False
        return in_a_handler() or self.clock.in_participant()

    def _role_of(self, principal: tuple[str, str]) -> tuple[str, str]:
        """(role ARN, session name) of a function or a state machine."""
        kind, name = principal
        if kind == "function":
            return self.deployment.functions[name].role_arn, name
        if kind == INSTANCE:  # an instance's own call (its user data), with the group's instance role
            return self.pool.role_arn, name
        return self.deployment.state_machines[name][1], name.rsplit(":", 1)[-1]

    @staticmethod
    def _validate(principal: tuple[str, str], client, operation_name: str, api_params: dict) -> None:
        """A handler's boto3 raises ParamValidationError before sending, as in Lambda; a state machine's task gets
        the service's validation error (Step Functions calls the API, no SDK checks in between)."""
        try:
            validate_parameters(api_params, client.meta.service_model.operation_model(operation_name).input_shape)
        except ParamValidationError as invalid:
            if principal[0] == "function":
                raise
            protocol = client.meta.service_model.protocol
            code = {"query": "ValidationError", "ec2": "InvalidParameterValue", "rest-xml": "InvalidInput"}.get(
                protocol, "ValidationException")
            response = {"Error": {"Code": code, "Message": str(invalid.kwargs.get("report", invalid))},
                        "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": str(uuid.uuid4())}}
            raise client.exceptions.from_code(code)(response, operation_name) from None

    def _enforce_iam_and_inject_faults(self) -> None:
        """Every AWS call napstack makes is authorized with its role's policies, then asks the fault plan; a denial
        or a fault raises what botocore would raise."""
        from botocore.client import BaseClient

        original = BaseClient._make_api_call
        emulator = self

        def make_api_call(client, operation_name, api_params):
            if (client.meta.service_model.service_name, operation_name) == ("cloudformation", "DescribeStacks"):
                return emulator._describe_stacks(client, api_params)  # a moto gap: see _describe_stacks
            principal = calling_principal()
            if principal and not getattr(emulator._emulator_calls, "depth", 0):
                # A request is validated before it is authorized: a malformed one never reaches IAM.
                emulator._validate(principal, client, operation_name, api_params)
                role, session = emulator._role_of(principal)
                emulator.authorizer.check(role, session, client, operation_name, api_params)
            if emulator._armed and emulator._napstack_is_calling():
                service = client.meta.service_model.service_name
                code = emulator.faults.call_error(service, operation_name, emulator.clock.now())
                if code:
                    status = 503 if code in ("ServiceUnavailable", "InternalFailure", "InternalError") else 400
                    response = {
                        "Error": {"Code": code, "Message": f"{code} (injected fault)"},
                        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": str(uuid.uuid4())},
                    }
                    raise client.exceptions.from_code(code)(response, operation_name)
            return original(client, operation_name, api_params)

        self._patches.set(BaseClient, "_make_api_call", make_api_call)

    def _describe_stacks(self, client, params: dict) -> dict:
        """Gap: moto's CloudFormation cannot load without API Gateway's optional packages, and holds none of the
        stacks the emulator deployed resource by resource; DescribeStacks answers from the assembly: the stack and
        the outputs the emulator can resolve (`napstack status` reads the status page's URL there)."""
        name = params.get("StackName", "")
        top = self.assembly.get(name)
        if top is None:
            response = {"Error": {"Code": "ValidationError", "Message": f"Stack with id {name} does not exist"},
                        "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": str(uuid.uuid4())}}
            raise client.exceptions.ClientError(response, "DescribeStacks")
        outputs = []
        for key, output in top.template.get("Outputs", {}).items():
            try:
                outputs.append({"OutputKey": key, "OutputValue": str(self.deployment.resolver.resolve(output["Value"], top))})
            except TemplateError:  # an export of what the emulator does not create (the VPC)
                continue
        return {"Stacks": [{"StackName": name, "CreationTime": self.clock.now(), "StackStatus": "CREATE_COMPLETE",
                            "Outputs": outputs}]}

    def stop_watchdog_by_hand(self, execution_name: str) -> None:
        """What a person does with "Stop execution" in the Step Functions console."""
        arn = self.stack.watchdog_arn.replace(":stateMachine:", ":execution:") + f":{execution_name}"
        self.stop_causes[arn] = "stopped in the console (injected fault)"
        with self.emulators_own_calls():
            self.client("stepfunctions").stop_execution(executionArn=arn, cause=self.stop_causes[arn])

    def deploy_service_update(self) -> None:
        """What CloudFormation does to the game's service when a deploy changes it (a new image, an environment
        value): UpdateService with the template's properties, DesiredCount among them when the template sets one
        (aws/containers-roadmap#493)."""
        leaf = self.assembly[self.config.leaf.stack_name]
        (properties,) = [resource.get("Properties", {}) for stack in leaf.walk() for resource in stack.resources.values()
                         if resource["Type"] == "AWS::ECS::Service"]
        if "DesiredCount" not in properties:
            return  # the running count is left as it is
        with self.emulators_own_calls():
            self.client("ecs").update_service(cluster=self.stack.cluster_arn, service=self.stack.service_name,
                                              desiredCount=int(properties["DesiredCount"]))

    def _why_no_wake(self, event: dict) -> str | None:
        """Why the leaf's own lookups a filter dropped would not have woken it, as start_server would say it (the
        shared wake_rule against the group's tags): only SRV starts it, lookups never wake it."""
        rule = load_function_module("napstack_wake_rule", FUNCTIONS_DIR / SHARED / "wake_rule.py")
        name = self.config.dns_name
        asked = [(fields[3].lower().rstrip("."), fields[4].upper()) for fields in map(str.split, decoded_lines(event))
                 if len(fields) > 4]
        mine = [(n, t) for n, t in asked if name in (n, rule.srv_leaf(n))]
        if not mine:
            return None
        with self.emulators_own_calls():
            (group,) = self.client("autoscaling").describe_auto_scaling_groups(
                AutoScalingGroupNames=[self.stack.asg_name])["AutoScalingGroups"]
        decision = rule.plan(name, group, rule.Wake.lookup(mine), self.clock.now()).decision
        return decision.reason if decision.action == "ignored" else None

    def _deliver_log_subscription(self, event: dict) -> str | None:
        """The query-log group's subscription filter invokes its function with the payload as it is, if the
        function's resource policy lets CloudWatch Logs invoke it."""
        subscription = next(iter(self.deployment.subscriptions), None)
        if subscription is None:  # no Start stack: nothing reads the query logs
            error = "no subscription filter reads the query logs (StartOnLookup is false)"
            self.stack.deliveries.append(Delivery(self.clock.now(), event, None, error=error))
            return None
        passing = passing_events(event, subscription.pattern)
        if passing is None:  # CloudWatch Logs invokes nothing for a batch its filter drops whole
            lookups = sorted({" ".join(line.split()[3:5]) for line in decoded_lines(event)})
            error = f"{len(lookups)} lookup(s) dropped by the subscription filter of {subscription.log_group}: {', '.join(lookups)}"
            if why := self._why_no_wake(event):
                error += f" ({why})"
            self.stack.deliveries.append(Delivery(self.clock.now(), event, None, error=error, filtered_out=True))
            return None
        event = passing
        allowed = any(
            p.get("Principal") == "logs.amazonaws.com" and p.get("FunctionName") == subscription.destination_arn
            for p in self.deployment.permissions
        )
        if not allowed:
            error = f"CloudWatch Logs may not invoke {subscription.destination_arn}: no Lambda permission for logs.amazonaws.com"
            self.stack.deliveries.append(Delivery(self.clock.now(), event, None, error=error, refused=True))
            return None
        region = subscription.destination_arn.split(":")[3]
        response = self.client("lambda", region).invoke(FunctionName=subscription.destination_arn, Payload=json.dumps(event))
        payload = json.loads(response["Payload"].read() or "null")
        error = f"{payload.get('errorType')}: {payload.get('errorMessage')}" if response.get("FunctionError") else None
        self.stack.deliveries.append(
            Delivery(self.clock.now(), event, START_SERVER, None if error else payload, error)
        )
        return START_SERVER

    # --- the function URLs (the status page) ----------------------------------------------------------------

    def function_url(self, folder: str) -> FunctionUrl:
        """The URL of the function whose code is functions/<folder>."""
        for url in self.deployment.function_urls:
            if self.deployment.functions[url.function_name].folder == folder:
                return url
        raise TemplateError(f"the assembly has no function URL for functions/{folder} (StatusPage.Enabled: false?)")

    def open_url(self, folder: str, method: str, target: str = "/", headers: dict[str, str] | None = None,
                 body: bytes = b"", source_ip: str = "198.51.100.7", served_at: str | None = None,
                 scheme: str = "https") -> HttpResponse:
        """One HTTP request to a function URL, as Lambda serves it: refused unless the function's resource policy
        lets the public in (AuthType NONE), else the function invoked with the payload format 2.0 event."""
        url = self.function_url(folder)
        function = self.deployment.functions[url.function_name]
        if url.auth_type == "NONE" and (refused := public_url_allowed(self.deployment.permissions, function.arn,
                                                                        function.name)):
            return HttpResponse(403, [("Content-Type", "application/json")],
                                json.dumps({"Message": f"Forbidden: {refused}"}).encode())
        region = function.arn.split(":")[3]
        event = request_event(url.url_id, region, ACCOUNT_ID, method, target, headers or {}, body, source_ip,
                              self.clock.now(), served_at, scheme)
        response = self.client("lambda", region).invoke(FunctionName=function.name, Payload=json.dumps(event))
        payload = json.loads(response["Payload"].read() or "null")
        return http_response(payload, bool(response.get("FunctionError")))

    # --- driving and reading the world ----------------------------------------------------------------

    def set_desired_capacity(self, capacity: int, quietly: bool = False) -> None:
        self._quiet += quietly
        try:
            self.client("autoscaling").set_desired_capacity(
                AutoScalingGroupName=self.stack.asg_name, DesiredCapacity=capacity
            )
        finally:
            self._quiet -= quietly

    def hold_desired_capacity_without_instances(self, capacity: int) -> None:
        """What a failed launch leaves: the group wants an instance it could not get."""
        from moto.autoscaling.models import autoscaling_backends
        from moto.core import DEFAULT_ACCOUNT_ID

        autoscaling_backends[DEFAULT_ACCOUNT_ID][self.region].autoscaling_groups[self.stack.asg_name].desired_capacity = capacity

    def instance_ids(self) -> list[str]:
        group = self.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[self.stack.asg_name])
        return [i["InstanceId"] for i in group["AutoScalingGroups"][0]["Instances"]]

    def run_until_settled(self, max_simulated: timedelta = timedelta(hours=72), stop_at_limit: bool = True,
                          progress: Callable[[datetime, int], None] | None = None) -> None:
        """Let every execution run to its end; stop what still runs after `max_simulated` of simulated time
        (or, without `stop_at_limit`, leave it asleep there, to look at the world mid-session). `progress` is
        told the simulated time and the checks so far while it runs."""
        deadline = time.monotonic() + REAL_SECONDS_PER_RUN
        self.clock.hold_at(self.clock.now() + max_simulated)
        try:
            while not self.clock.wait_until_idle(0.05, or_held=True):
                if progress:
                    progress(self.clock.now(), self.host.checks_answered)
                if self.clock.held and not stop_at_limit:
                    return  # still held: time stays put while the caller looks
                if self.clock.held:  # everything sleeps past the limit: stopping now aborts them cleanly
                    self.stop_all_executions(
                        f"the replay reached its limit of {max_simulated} of simulated time (raise it with --max-hours)"
                    )
                elif time.monotonic() >= deadline:
                    self.stop_all_executions(
                        f"the replay ran longer than {REAL_SECONDS_PER_RUN} s of real time (a replay that busy is a bug: "
                        "please report it with the event and scenario)"
                    )
        except BaseException:
            self.clock.hold_at(None)
            raise
        self.clock.hold_at(None)

    def history(self, execution_arn: str) -> list[dict]:
        """An execution's events as GetExecutionHistory returns them, read from the emulated Step Functions itself:
        through the API, moto would serialize and parse every page (most of a long replay's report time)."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        events = stepfunctions_parser_backends[DEFAULT_ACCOUNT_ID][self.region].get_execution_history(execution_arn)["events"]
        return [
            {**event, "type": getattr(event["type"], "value", event["type"]), "timestamp": _moment(event["timestamp"])}
            for event in events
        ]

    def executions(self) -> list[dict]:
        sfn = self.client("stepfunctions")
        found = []
        for machine in (self.stack.hook_arn, self.stack.watchdog_arn):
            for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine):
                found.extend(page["executions"])
        return sorted(found, key=lambda e: e["startDate"])

    def stop_all_executions(self, cause: str) -> None:
        self._stopping = True
        sfn = self.client("stepfunctions")
        for execution in self.executions():
            if execution["status"] == "RUNNING":
                self.stop_causes[execution["executionArn"]] = cause
                # moto cannot stop an execution whose thread has not set itself up yet: give it a moment.
                for _ in range(100):
                    try:
                        sfn.stop_execution(executionArn=execution["executionArn"], cause=cause)
                        break
                    except AttributeError:
                        time.sleep(0.01)
        self.clock.wait_until_idle(10)

"""An in-process AWS holding what a deployed leaf stack holds, with the real state machines and handlers.

`Emulator(config)` is a context manager: inside it, moto plays AWS (fake credentials, no endpoint can be
reached), the ASG emits the EventBridge events AWS would, and the hook rule starts the hook state machine.
On exit every execution still running is stopped and waited for.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import threading
import time
import uuid
import zipfile
from unittest import mock
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import boto3
from moto import mock_aws
from moto.events.models import EventPattern

from napstack.asl import asl_file, substitute
from napstack.config import NapstackConfig
from napstack.emulator import events as asg_events
from napstack.emulator.clock import SimulatedClock
from napstack.emulator.faults import FaultPlan
from napstack.emulator.moto_gaps import InvocationHooks, _Patches, in_a_handler, patched
from napstack.emulator.scenario import Scenario, SimulatedHost
from napstack.settings import (
    COUNT_CONNECTIONS,
    DNS_RECORD,
    START_SERVER,
    UNAVAILABLE_IP,
    ECS_DRAINING_HOOK_NAME,
    LIFECYCLE_HOOK_NAME,
    asg_launch_pattern,
    asg_terminate_pattern,
    ecs_crash_pattern,
    watchdog_ended_pattern,
    auto_scaling_group_name,
    count_connections_environment,
    function_environment,
    leaf_tags,
    start_server_environment,
    hook_settings_json,
    hook_state_machine_name,
    json_string_body,
    watchdog_state_machine_name,
)

REGION = "us-east-1"
CONTAINER_NAME = "game"
ECS_AMI_NAME = "al2023-ami-ecs-hvm-2023.0.20261101-kernel-6.1-x86_64"
ECS_AMI_ID = "ami-0ec5a0ea1f7b7e0a1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
    # moto's catalogue of thousands of public AMIs takes half the set-up time to parse; the world registers the one
    # image its launch template uses instead.
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}
TERMINATE_HOOKS = sorted([LIFECYCLE_HOOK_NAME, ECS_DRAINING_HOOK_NAME])
EVENTBRIDGE_LATENCY_SECONDS = 1
REAL_SECONDS_PER_RUN = 300  # a safety net in real time; simulated time has its own limit
_CLIENTS: dict[str, object] = {}  # Emulator.client: one per service, shared by every emulator in the process
_CLIENTS_LOCK = threading.Lock()


@dataclass
class Delivery:
    """One event offered to the rules, and what it started (an execution ARN, a function; None: nothing)."""

    time: datetime
    event: dict
    started: str | None
    result: dict | None = None
    error: str | None = None


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


class Emulator:
    def __init__(
        self,
        config: NapstackConfig,
        scenario: Scenario | None = None,
        start: datetime | None = None,
        faults: FaultPlan | None = None,
    ):
        self.config = config
        self.faults = faults or FaultPlan([])
        self._armed = False  # faults fire only once the world is built
        self._emulator_calls = threading.local()
        self.clock = SimulatedClock(start or datetime(2026, 1, 1, 20, 0, tzinfo=timezone.utc))
        self.host = SimulatedHost(scenario or Scenario())
        self.completed_lifecycle_actions: list[dict] = []
        self._patches = _Patches()
        self._quiet = 0  # >0 while the emulator sets up the world: no events for its own changes
        self._stopping = False  # the emulator stops executions itself: no status-change events for those
        self.stop_causes: dict[str, str] = {}  # execution ARN -> why the emulator (or a fault) stopped it
        self._function_folders: dict[str, str] = {}
        self._exit = contextlib.ExitStack()

    # --- lifecycle ---------------------------------------------------------------------------------------

    def __enter__(self) -> "Emulator":
        with contextlib.ExitStack() as setting_up:  # undone at once if the world cannot be built
            setting_up.enter_context(mock.patch.dict(os.environ, FAKE_CREDENTIALS))
            # moto logs every JSONPath miss (IsPresent checks, Catch paths) as an error: not news for a replay.
            moto_log = logging.getLogger("moto")
            setting_up.callback(moto_log.setLevel, moto_log.level)
            moto_log.setLevel(logging.CRITICAL)
            setting_up.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
            setting_up.enter_context(
                patched(
                    self.clock,
                    self._function_folders.__getitem__,
                    self.host.answer,
                    self.completed_lifecycle_actions,
                    _FaultHooks(self),
                )
            )
            setting_up.callback(self._patches.undo)
            self.stack = self._create_stack()
            self._observe_the_group()
            self._observe_the_executions()
            self._inject_call_faults()
            self._armed = True
            self._exit = setting_up.pop_all()
        return self

    def __exit__(self, *exc) -> None:
        with self._exit:
            self.stop_all_executions("the emulator is shutting down")

    def client(self, service: str):
        """One client per service for every emulator in this process: creating one costs ~40 ms, and moto answers
        whichever emulator is current (its state is reset on each entry)."""
        with _CLIENTS_LOCK:
            if service not in _CLIENTS:
                _CLIENTS[service] = boto3.client(service, region_name=REGION)
            return _CLIENTS[service]

    # --- the world a deployed leaf stack holds --------------------------------------------------------------

    def _create_stack(self) -> EmulatedStack:
        leaf = self.config.leaf
        ec2, autoscaling = self.client("ec2"), self.client("autoscaling")
        subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
        # The ECS-optimized Amazon Linux 2023 AMI, as the launch template uses (a narrow filter: moto knows thousands).
        image = self._ecs_optimized_image()
        template = ec2.create_launch_template(
            LaunchTemplateName=f"{leaf.stack_name}-lt",
            LaunchTemplateData={"ImageId": image, "InstanceType": leaf.ec2.instance_type},
        )["LaunchTemplate"]["LaunchTemplateId"]
        asg_name = auto_scaling_group_name(leaf)
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=asg_name,
            LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
            MinSize=0,
            MaxSize=1,
            DesiredCapacity=0,
            VPCZoneIdentifier=subnet,
            Tags=[{"Key": "napstack:leaf", "Value": leaf.name, "PropagateAtLaunch": True}]
            + [{"Key": key, "Value": value, "PropagateAtLaunch": False} for key, value in leaf_tags(self.config).items()],
        )
        # napstack's hook, and the one ECS managed draining adds to the group when the capacity provider is created.
        for hook_name, heartbeat in ((LIFECYCLE_HOOK_NAME, 300), (ECS_DRAINING_HOOK_NAME, 3600)):
            autoscaling.put_lifecycle_hook(
                LifecycleHookName=hook_name,
                AutoScalingGroupName=asg_name,
                LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING",
                HeartbeatTimeout=heartbeat,
                DefaultResult="CONTINUE",
            )

        ecs = self.client("ecs")
        cluster_arn = ecs.create_cluster(clusterName=leaf.stack_name)["cluster"]["clusterArn"]
        task_definition_arn = ecs.register_task_definition(
            family=f"{leaf.stack_name}-task",
            networkMode="bridge",
            containerDefinitions=[
                {
                    "name": CONTAINER_NAME,
                    "image": leaf.container.image,
                    "memory": leaf.container.memory_mib,
                    "portMappings": [
                        {"containerPort": port, "hostPort": port, "protocol": mapping.protocol}
                        for mapping in leaf.container.ports
                        for port in mapping.ports
                    ],
                }
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        service_name = ecs.create_service(
            cluster=cluster_arn, serviceName=f"{leaf.stack_name}-service", taskDefinition=task_definition_arn, desiredCount=0
        )["service"]["serviceName"]

        route53 = self.client("route53")
        zone_id = route53.create_hosted_zone(Name=self.config.base.domain_name, CallerReference=str(uuid.uuid4()))[
            "HostedZone"
        ]["Id"].rsplit("/", 1)[-1]
        topic_arn = self.client("sns").create_topic(Name="napstack-alerts")["TopicArn"]

        role_arn = self.client("iam").create_role(
            RoleName=f"{leaf.stack_name}-emulated", AssumeRolePolicyDocument="{}"
        )["Role"]["Arn"]
        function_name = self._create_function(
            COUNT_CONNECTIONS, role_arn, count_connections_environment(task_definition_arn, CONTAINER_NAME)
        )
        start_function = self._create_function(START_SERVER, role_arn, start_server_environment(REGION))
        record_function = self._create_function(DNS_RECORD, role_arn, function_environment(DNS_RECORD))
        self._deploy_record(record_function, zone_id)
        function_arn = self.client("lambda").get_function(FunctionName=function_name)["Configuration"]["FunctionArn"]

        sfn = self.client("stepfunctions")
        watchdog_arn = sfn.create_state_machine(
            name=watchdog_state_machine_name(leaf),
            roleArn=role_arn,
            definition=substitute(
                asl_file("watchdog").read_text(),
                {"CountConnectionsFunctionArn": function_arn, "AlertTopicArn": topic_arn, "ServerName": leaf.name},
            ),
        )["stateMachineArn"]
        hook_arn = sfn.create_state_machine(
            name=hook_state_machine_name(leaf),
            roleArn=role_arn,
            definition=substitute(
                asl_file("asg_state_change").read_text(),
                {
                    "HookSettingsJson": json_string_body(hook_settings_json(self.config)),
                    "ClusterArn": cluster_arn,
                    "ServiceName": service_name,
                    "HostedZoneId": zone_id,
                    "RecordName": self.config.dns_name,
                    "UnavailableIp": UNAVAILABLE_IP,
                    "WatchdogStateMachineArn": watchdog_arn,
                    "LifecycleHookName": LIFECYCLE_HOOK_NAME,
                    "AlertTopicArn": topic_arn,
                    "ServerName": leaf.name,
                    "AutoScalingGroupName": asg_name,
                },
            ),
        )["stateMachineArn"]
        return EmulatedStack(
            asg_name=asg_name,
            cluster_arn=cluster_arn,
            service_name=service_name,
            task_definition_arn=task_definition_arn,
            hosted_zone_id=zone_id,
            record_name=self.config.dns_name,
            topic_arn=topic_arn,
            watchdog_arn=watchdog_arn,
            hook_arn=hook_arn,
            function_name=function_name,
            start_function_name=start_function,
            record_function_name=record_function,
        )

    def _ecs_optimized_image(self) -> str:
        """The ECS-optimized Amazon Linux 2023 image the launch template boots (the real stack reads it from SSM)."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ec2.models import ec2_backends
        from moto.ec2.models.amis import Ami

        backend = ec2_backends[DEFAULT_ACCOUNT_ID][REGION]
        image = Ami(backend, ami_id=ECS_AMI_ID, name=ECS_AMI_NAME, owner_id="591542846629", architecture="x86_64")
        backend.amis[ECS_AMI_ID] = image
        return ECS_AMI_ID

    def _record_request(self, function_name: str, zone_id: str, request_type: str) -> dict:
        """What CloudFormation asks the DNS record's custom resource (stacks/dns_record.py) on deploy or delete."""
        properties = {
            "ServiceToken": f"arn:aws:lambda:{REGION}:123456789012:function:{function_name}",
            "HostedZoneId": zone_id,
            "RecordName": self.config.dns_name,
            "Ttl": str(self.config.leaf.dns.ttl),
            "AsleepIp": UNAVAILABLE_IP,
        }
        return {
            "RequestType": request_type,
            "ServiceToken": properties["ServiceToken"],
            "ResponseURL": "https://cloudformation-custom-resource-response.invalid/",
            "StackId": f"arn:aws:cloudformation:{REGION}:123456789012:stack/{self.config.leaf.stack_name}/emulated",
            "RequestId": str(uuid.uuid4()),
            "LogicalResourceId": "DnsRecord",
            "ResourceType": "Custom::NapstackDnsRecord",
            "ResourceProperties": properties,
            **({"PhysicalResourceId": self.config.dns_name} if request_type != "Create" else {}),
        }

    def _invoke_record_function(self, function_name: str, zone_id: str, request_type: str) -> dict:
        response = self.client("lambda").invoke(
            FunctionName=function_name, Payload=json.dumps(self._record_request(function_name, zone_id, request_type))
        )
        payload = json.loads(response["Payload"].read() or "null")
        if response.get("FunctionError"):
            raise RuntimeError(f"the DNS record's {request_type} failed: {payload}")
        return payload

    def _deploy_record(self, function_name: str, zone_id: str) -> None:
        """The record exists from the deploy, pointing at the asleep address, as the stack's custom resource makes it."""
        self._invoke_record_function(function_name, zone_id, "Create")

    def delete_record(self) -> dict:
        """What `cdk destroy` does to the record once the hook's rules and state machine are gone."""
        return self._invoke_record_function(self.stack.record_function_name, self.stack.hosted_zone_id, "Delete")

    def _create_function(self, folder: str, role_arn: str, environment: dict[str, str]) -> str:
        name = f"{self.config.leaf.stack_name}-{folder}"
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("app.py", "# the emulator runs functions/%s in-process\n" % folder)
        self.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role_arn,
            Handler="app.handler",
            Code={"ZipFile": archive.getvalue()},
            Timeout=60,
            Environment={"Variables": environment},
        )
        self._function_folders[name] = folder
        return name

    # --- EventBridge: the group's events and the hook's rule ------------------------------------------------

    def _observe_the_group(self) -> None:
        """AWS emits an event for each instance the group launches or terminates; moto does not, so we do."""
        from moto.autoscaling.models import FakeAutoScalingGroup

        original = FakeAutoScalingGroup.set_desired_capacity
        emulator = self

        def set_desired_capacity(group, new_capacity):
            before = {state.instance.id for state in group.instance_states}
            original(group, new_capacity)
            after = {state.instance.id for state in group.instance_states}
            if emulator._quiet or group.name != emulator.stack.asg_name:
                return
            now = emulator.clock.now()
            raised = [asg_events.launch_successful(group.name, instance_id, now) for instance_id in sorted(after - before)]
            raised += [  # Auto Scaling emits one lifecycle event per hook
                asg_events.terminate_lifecycle_action(group.name, instance_id, hook_name, now)
                for instance_id in sorted(before - after)
                for hook_name in TERMINATE_HOOKS
            ]
            if raised:
                emulator.deliver_after_latency(raised)

        self._patches.set(FakeAutoScalingGroup, "set_desired_capacity", set_desired_capacity)

    @staticmethod
    def rules_for(group_name: str, cluster_arn: str, watchdog_arn: str, target: str = "hook") -> list[tuple[dict, str]]:
        """(event pattern, target) for each rule the leaf stack deploys (stacks/asg_state_change_hook.py)."""
        patterns = (
            asg_launch_pattern(group_name),
            asg_terminate_pattern(group_name),
            ecs_crash_pattern(cluster_arn),
            watchdog_ended_pattern(watchdog_arn),
        )
        return [(pattern, target) for pattern in patterns]

    def rules(self) -> list[tuple[dict, str]]:
        return self.rules_for(self.stack.asg_name, self.stack.cluster_arn, self.stack.watchdog_arn, self.stack.hook_arn)

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

    def deliver_after_latency(self, events: list[dict]) -> None:
        """EventBridge delivers a service's events about a second after they happen, not inside the call that caused
        them: whatever that call's caller does next (a watchdog sending its last alert) happens first."""
        ticket = self.clock.join()

        def later() -> None:
            self.clock.sleep(EVENTBRIDGE_LATENCY_SECONDS, interrupted=lambda: self._stopping)
            for event in events:
                if not self._stopping:
                    self.deliver(event)

        threading.Thread(target=self.clock.run_as, args=(ticket, later), daemon=True).start()

    def deliver(self, event: dict) -> str | None:
        """Offer `event` to every rule, start the target of each match; returns what it started."""
        if "awslogs" in event:
            return self._deliver_log_subscription(event)
        action = self.faults.event_action(event, self.clock.now()) if self._armed else None
        if action == "lost":
            self.stack.deliveries.append(Delivery(self.clock.now(), event, None, error="lost (injected fault)"))
            return None
        started = None
        for _ in range(2 if action == "duplicate" else 1):
            for pattern, target in self.rules():
                if EventPattern.load(json.dumps(pattern)).matches_event(event):
                    with self.emulators_own_calls():  # EventBridge's call, not napstack's: no injected fault
                        started = self.client("stepfunctions").start_execution(
                            stateMachineArn=target, input=json.dumps(event)
                        )["executionArn"]
            self.stack.deliveries.append(Delivery(self.clock.now(), event, started))
        return started

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

    def _inject_call_faults(self) -> None:
        """Every AWS call napstack makes asks the fault plan first; a fault raises what botocore would raise."""
        from botocore.client import BaseClient

        original = BaseClient._make_api_call
        emulator = self

        def make_api_call(client, operation_name, api_params):
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

    def stop_watchdog_by_hand(self, execution_name: str) -> None:
        """What a person does with "Stop execution" in the Step Functions console."""
        arn = self.stack.watchdog_arn.replace(":stateMachine:", ":execution:") + f":{execution_name}"
        self.stop_causes[arn] = "stopped in the console (injected fault)"
        with self.emulators_own_calls():
            self.client("stepfunctions").stop_execution(executionArn=arn, cause=self.stop_causes[arn])

    def _deliver_log_subscription(self, event: dict) -> str | None:
        """The query-log group's subscription filter invokes start_server with the payload as it is."""
        if not self.config.base.start_on_lookup:  # no Napstack-Start: nothing reads the query logs
            self.stack.deliveries.append(Delivery(self.clock.now(), event, None, error="StartOnLookup is false"))
            return None
        response = self.client("lambda").invoke(FunctionName=self.stack.start_function_name, Payload=json.dumps(event))
        payload = json.loads(response["Payload"].read() or "null")
        error = f"{payload.get('errorType')}: {payload.get('errorMessage')}" if response.get("FunctionError") else None
        self.stack.deliveries.append(
            Delivery(self.clock.now(), event, START_SERVER, None if error else payload, error)
        )
        return START_SERVER

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

        autoscaling_backends[DEFAULT_ACCOUNT_ID][REGION].autoscaling_groups[self.stack.asg_name].desired_capacity = capacity

    def instance_ids(self) -> list[str]:
        group = self.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[self.stack.asg_name])
        return [i["InstanceId"] for i in group["AutoScalingGroups"][0]["Instances"]]

    def run_until_settled(self, max_simulated: timedelta = timedelta(hours=72), stop_at_limit: bool = True) -> None:
        """Let every execution run to its end; stop what still runs after `max_simulated` of simulated time
        (or, without `stop_at_limit`, leave it asleep there, to look at the world mid-session)."""
        deadline = time.monotonic() + REAL_SECONDS_PER_RUN
        self.clock.hold_at(self.clock.now() + max_simulated)
        try:
            while not self.clock.wait_until_idle(0.05, or_held=True):
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

        events = stepfunctions_parser_backends[DEFAULT_ACCOUNT_ID][REGION].get_execution_history(execution_arn)["events"]
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

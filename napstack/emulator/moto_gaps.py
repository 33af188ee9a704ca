"""Where moto 5.2.5 differs from AWS for what napstack does, and the one patch that covers each gap.

Each patch is named after its gap and has a test in tests/emulator/test_moto_gaps.py that shows the gap
in plain moto, so an upgrade that fixes one tells you which patch to drop. `patched(...)` applies them all
and undoes them on exit.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as _datetime
import functools
import hashlib
import importlib.util
import io
import json
import os
import pickle
import re
import sys
import tempfile
import threading
import time as _time_module
import traceback
import types
import urllib.request
import uuid
import warnings
from pathlib import Path
from typing import Callable, Iterator
from unittest import mock

import botocore.httpsession
import botocore.loaders
import botocore.session
from botocore import xform_name

from napstack.emulator.clock import SimulatedClock
from napstack.function_modules import importable, shared_modules

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent.parent / "functions"


class RealEndpointBlocked(RuntimeError):
    """An emulated call tried to leave the machine: the emulator never talks to AWS."""


class _Patches(contextlib.ExitStack):
    """Attributes set with unittest.mock, all put back by `undo()` (also for attributes that did not exist)."""

    def set(self, owner: object, name: str, value: object) -> None:
        self.enter_context(mock.patch.object(owner, name, value, create=True))

    def undo(self) -> None:
        self.close()


# --- Gap: moto sends every log event to a subscription's destination and cannot read space-delimited filter
# patterns; the emulator's CloudWatch Logs delivery applies the pattern itself (napstack/emulator/log_filter.py) ---

# --- Gap: Lambda tasks try to start Docker; the real handler must run in-process ------------------------

_LAMBDA_LOCK = threading.Lock()


class _Sink(io.TextIOBase):
    """stdout for in-process handlers: Powertools logs and EMF metrics land here, not on the terminal."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, text: str) -> int:
        self.lines.append(text)
        return len(text)


def _load_handler(function_name: str, handler: str, environment: dict[str, str], sink: _Sink) -> Callable:
    """The function's `handler` ("app.handler": functions/<name>/app.py, its `handler`), imported once per
    environment, as Lambda does: its clients are created at import, from the region and variables it is given."""
    module_file, _, attribute = handler.rpartition(".")
    folder = FUNCTIONS_DIR / function_name
    key = hashlib.sha256(json.dumps(sorted(environment.items())).encode()).hexdigest()[:12]
    module_name = f"napstack_function_{function_name}_{module_file}_{key}"
    if module_name not in sys.modules:
        for path in reversed(importable(folder)):  # its folder, and functions/shared/ if it declares modules there
            if path not in sys.path:
                sys.path.insert(0, path)
        spec = importlib.util.spec_from_file_location(module_name, folder / f"{module_file}.py")
        module = importlib.util.module_from_spec(spec)
        with contextlib.redirect_stdout(sink):  # Powertools binds its log stream at import
            spec.loader.exec_module(module)
        sys.modules[module_name] = module
    return getattr(sys.modules[module_name], attribute)


_CALLER = threading.local()


@contextlib.contextmanager
def calls_as(principal: tuple[str, str]) -> Iterator[None]:
    """Marks the AWS calls made inside as made by `principal`: ("function", name) or ("state machine", ARN)."""
    stack = _CALLER.__dict__.setdefault("principals", [])
    stack.append(principal)
    try:
        yield
    finally:
        stack.pop()


def calling_principal() -> tuple[str, str] | None:
    """Who makes the AWS call being made in this thread: the innermost handler or state machine task, or None
    (the emulator itself)."""
    stack = getattr(_CALLER, "principals", None)
    return stack[-1] if stack else None


def in_a_handler() -> bool:
    return any(kind == "function" for kind, _ in getattr(_CALLER, "principals", []))


def _emulate_the_world_of(patches: _Patches, folder: str, simulated_time, game_answer: Callable,
                          webhook: Callable | None = None) -> None:
    """A handler's own waits (polling SSM) pass in simulated time, like the state machines' waits; its game queries
    reach the simulated game (the scenario), never the network; its webhook posts (urlopen) reach `webhook`."""
    prefix = str(FUNCTIONS_DIR / folder)
    shared = {str(path) for path in shared_modules(FUNCTIONS_DIR / folder)}  # bundled into its asset: its own
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None) or ""
        if not (file.startswith(prefix) or file in shared):
            continue
        if getattr(module, "time", None) is _time_module:
            patches.set(module, "time", simulated_time)
        if webhook is not None and getattr(module, "urlopen", None) is urllib.request.urlopen:  # notify's posts
            patches.set(module, "urlopen", webhook)
        if isinstance(getattr(module, "QUERIES", None), dict):  # game_query: one function per protocol
            for protocol in module.QUERIES:
                answer = functools.partial(game_answer, module.QueryResult, protocol)
                patches.enter_context(mock.patch.dict(module.QUERIES, {protocol: answer}))


class InvocationHooks:
    """What the emulator may do around each in-process invocation (injected faults); by default nothing."""

    def fails_with(self, folder: str, event) -> str | None:
        return None

    def after(self, folder: str, event) -> None:
        return None


def run_handlers_in_process(
    patches: _Patches,
    function_folder_of: Callable[[str], str],
    clock: SimulatedClock,
    hooks: InvocationHooks,
    game_answer: Callable,
    webhook: Callable | None = None,
) -> None:
    """LambdaFunction._invoke_lambda(self, event) -> (payload_json, errored, logs), running functions/<name>/app.py
    with the function's environment, in its region, its AWS calls made as the function (for IAM)."""
    from moto.awslambda.models import LambdaFunction

    simulated_time = types.SimpleNamespace(sleep=clock.sleep, time=lambda: clock.now().timestamp())
    simulated_folders: set[str] = set()

    def invoke_in_process(self, event=None):
        sink = _Sink()
        deadline = clock.now() + _datetime.timedelta(seconds=self.timeout)
        context = types.SimpleNamespace(
            function_name=self.function_name,
            memory_limit_in_mb=self.memory_size,
            invoked_function_arn=self.function_arn,
            aws_request_id=str(uuid.uuid4()),
            # The function's deadline in simulated time, as Lambda counts it down.
            get_remaining_time_in_millis=lambda: max(0, int((deadline - clock.now()).total_seconds() * 1000)),
        )
        with _LAMBDA_LOCK:
            saved = os.environ.copy()
            region = self.function_arn.split(":")[3]
            os.environ.update(self.environment_vars or {})
            os.environ.update(AWS_REGION=region, AWS_DEFAULT_REGION=region, AWS_LAMBDA_FUNCTION_NAME=self.function_name)
            try:
                folder = function_folder_of(self.function_name)
                injected = hooks.fails_with(folder, event)
                first_call = folder not in simulated_folders
                if injected:  # as Lambda reports a function that timed out or crashed
                    return json.dumps({"errorType": injected, "errorMessage": f"{injected} (injected fault)"}), True, ""
                with contextlib.redirect_stdout(sink), warnings.catch_warnings(), calls_as(("function", self.function_name)):
                    warnings.simplefilter("ignore")  # e.g. Powertools' "no metrics" on a check without counts
                    handler = _load_handler(folder, self.handler, {**(self.environment_vars or {}), "AWS_REGION": region}, sink)
                    if first_call:  # once per emulator: the patch holds until the emulator exits
                        _emulate_the_world_of(patches, folder, simulated_time, game_answer, webhook)
                        simulated_folders.add(folder)
                    result = handler(event if event is not None else {}, context)
                hooks.after(folder, event)
                return json.dumps(result), False, "".join(sink.lines)
            except Exception as error:  # the handler's error becomes the Lambda's function error, as in AWS
                payload = {
                    "errorType": type(error).__name__,
                    "errorMessage": str(error),
                    "stackTrace": traceback.format_exception(error)[-3:],
                }
                return json.dumps(payload), True, "".join(sink.lines)
            finally:
                os.environ.clear()
                os.environ.update(saved)

    patches.set(LambdaFunction, "_invoke_lambda", invoke_in_process)


# --- Gap: SNS invokes a subscribed Lambda with made-up message attributes and no subject or topic ----------

SNS_DELIVERY = threading.local()  # .alert: the SNS message being delivered to a function in this thread


def sns_lambda_event_as_aws_sends_it(patches: _Patches, clock: SimulatedClock) -> None:
    """moto's SNS-to-Lambda event carries fixed `Test` attributes instead of the message's (so a function cannot
    read `server` or `kind`), a 1970 timestamp and an EXAMPLE topic. The event here is the documented one (Lambda
    developer guide, "Using Lambda with Amazon SNS"), for a subscription whose filter policy matches."""
    from moto.awslambda.utils import get_backend
    from moto.sns.models import Subscription

    original = Subscription.publish

    def publish(self, message, message_id, subject=None, message_attributes=None, **kwargs):
        if self.protocol != "lambda":
            return original(self, message, message_id, subject=subject, message_attributes=message_attributes, **kwargs)
        if self._filter_policy_matcher is not None and not self._filter_policy_matcher.matches(message_attributes, message):
            return None
        attributes = {name: {"Type": value["Type"], "Value": value["Value"]} for name, value in (message_attributes or {}).items()}
        sns = {
            "Type": "Notification", "MessageId": message_id, "TopicArn": self.topic.arn, "Subject": subject,
            "Message": message, "Timestamp": clock.now().strftime("%Y-%m-%dT%H:%M:%S.000Z"), "SignatureVersion": "1",
            "Signature": "EXAMPLE", "SigningCertUrl": "EXAMPLE", "UnsubscribeUrl": "EXAMPLE",
            "MessageAttributes": attributes,
        }
        event = {"Records": [{"EventVersion": "1.0", "EventSubscriptionArn": self.arn, "EventSource": "aws:sns", "Sns": sns}]}
        region, name = self.endpoint.split(":")[3], self.endpoint.split(":")[6]
        function = get_backend(self.account_id, region).get_function(name)
        SNS_DELIVERY.alert = sns
        try:
            function.invoke(json.dumps(event), {}, {})
        finally:
            SNS_DELIVERY.alert = None
        return None

    patches.set(Subscription, "publish", publish)


# --- Gap: aws-sdk tasks skip the PascalCase-to-boto3 conversion (getmoto/moto#10076) ---------------------
# --- Gap: aws-sdk task output keeps datetimes, which describe_execution cannot serialize ----------------


_SESSION = botocore.session.get_session()


@functools.lru_cache(maxsize=None)
def service_model(service: str):
    """Loading a service model reads and parses its JSON (a tenth of a second for EC2): once per process."""
    return _SESSION.get_service_model(service)


@functools.lru_cache(maxsize=None)
def _operation_model(service: str, api_action: str):
    model = service_model(service)
    names = {xform_name(name): name for name in model.operation_names}
    return model.operation_model(names[xform_name(api_action)])


def _datetimes_as_text(value):
    if isinstance(value, dict):
        return {key: _datetimes_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_datetimes_as_text(item) for item in value]
    if isinstance(value, _datetime.datetime):
        return value.isoformat()
    return value


def convert_sdk_parameter_names(patches: _Patches) -> None:
    """`"DesiredCount"` -> `desiredCount` for ecs/sfn calls, and responses back to Step Functions' casing."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
        StateTaskServiceAwsSdk,
    )

    def normalise_parameters(self, parameters, boto_service_name=None, service_action_name=None):
        operation = _operation_model(self._get_boto_service_name(boto_service_name), self.resource.api_action)
        self._to_boto_request(parameters, operation.input_shape)

    def normalise_response(self, response, boto_service_name=None, service_action_name=None):
        if isinstance(response, dict):
            cleaned = _datetimes_as_text(response)
            response.clear()
            response.update(cleaned)
            operation = _operation_model(self._get_boto_service_name(boto_service_name), self.resource.api_action)
            if operation.output_shape is not None:
                self._from_boto_response(response, operation.output_shape)

    patches.set(StateTaskServiceAwsSdk, "_normalise_parameters", normalise_parameters)
    patches.set(StateTaskServiceAwsSdk, "_normalise_response", normalise_response)


# --- Gap: aws-sdk task errors carry the ARN's lower-case service name (sns.NotFoundException); AWS writes it in
# PascalCase (Sns.NotFoundException, AutoScaling.AutoScalingException, Route53.PriorRequestNotCompleteException) ---


def pascal_case_sdk_error_names(patches: _Patches) -> None:
    """The error name and the cause's "Service:" of a failed aws-sdk task, as the Step Functions console shows them."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import StateTaskService
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
        StateTaskServiceAwsSdk,
    )

    to_boto = StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES

    def normalise_service_error_name(service_name: str) -> str:
        return sdk_error_service_name(to_boto.get(service_name.lower(), service_name.lower()))

    patches.set(StateTaskServiceAwsSdk, "_normalise_service_error_name", staticmethod(normalise_service_error_name))


@functools.lru_cache(maxsize=None)
def sdk_error_service_name(service: str) -> str:
    """A service as Step Functions names it in aws-sdk errors: its service id in PascalCase, as the AWS SDK for
    Java 2.x names its clients ("Auto Scaling" -> AutoScaling, "ECS" -> Ecs, "ACM PCA" -> AcmPca, "DynamoDB" ->
    DynamoDb, "Route 53" -> Route53)."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z][a-z]*|[a-z]+|\d+", service_model(service).service_id)
    return "".join(word[0].upper() + word[1:].lower() for word in words)


# --- Gap: task integrations call with parameter validation off, as nobody in particular ----------------------

_TASK_CLIENTS: dict[tuple[str, str], object] = {}


def tasks_call_as_their_state_machine(patches: _Patches) -> None:
    """Step Functions validates a task's parameters against the API (a misspelt one fails the task) and calls as
    the state machine's role; moto creates an unvalidated client per call (~40 ms each) for nobody. Here each
    task's calls are marked with its state machine (for IAM) and go through one validating client per service."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_lambda
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service
    from moto.stepfunctions.parser.asl.utils import boto_client as boto_client_module

    def boto_client_for(region, service, state_credentials=None):
        with _CLIENT_LOCK:
            if (service, region) not in _TASK_CLIENTS:
                _TASK_CLIENTS[(service, region)] = boto3_client(service, region)
            return _TASK_CLIENTS[(service, region)]

    for module in _modules_importing(boto_client_module.__name__, "boto_client_for") + [boto_client_module]:
        patches.set(module, "boto_client_for", boto_client_for)
    for owner in (state_task_service.StateTaskService, state_task_lambda.StateTaskLambda):
        original = owner._eval_execution

        def eval_execution(self, env, original=original):
            with calls_as(("state machine", env.states.context_object.context_object_data["StateMachine"]["Id"])):
                return original(self, env)

        patches.set(owner, "_eval_execution", eval_execution)


def boto3_client(service: str, region: str):
    import boto3
    from botocore.config import Config

    return boto3.client(service, region_name=region, config=Config(retries={"max_attempts": 0, "total_max_attempts": 1}))


# --- Gap: start_execution without a name creates an execution named "None" -----------------------------


def name_unnamed_executions(patches: _Patches) -> None:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution

    def start_execution(self, state_machine_arn, name=None, execution_input=None, trace_header=None):
        return original(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)

    patches.set(StepFunctionsParserBackend, "start_execution", start_execution)


# --- Gap: autoscaling:CompleteLifecycleAction is not implemented -----------------------------------------


def complete_lifecycle_actions(patches: _Patches, completed: list[dict]) -> None:
    """Record each completion (AWS would now let the instance go); an unknown group or a token already
    completed is an error, as in AWS."""
    from moto.autoscaling.exceptions import ValidationError
    from moto.autoscaling.responses import AutoScalingResponse
    from moto.core.responses import EmptyResult

    keys = ("AutoScalingGroupName", "LifecycleHookName", "LifecycleActionToken", "InstanceId", "LifecycleActionResult")

    def complete_lifecycle_action(self) -> EmptyResult:
        action = {key: self._get_param(key) for key in keys}
        if action["AutoScalingGroupName"] not in self.autoscaling_backend.autoscaling_groups:
            raise ValidationError(f"No Auto Scaling group named {action['AutoScalingGroupName']}")
        token = action["LifecycleActionToken"]  # or none: an instance completes its own by its id
        if token and any(done["LifecycleActionToken"] == token for done in completed):
            raise ValidationError(f"No active Lifecycle Action found with token {token}")
        completed.append(action)
        return EmptyResult()

    patches.set(AutoScalingResponse, "complete_lifecycle_action", complete_lifecycle_action)


# --- Gap: Wait states, Retry intervals and polling really sleep; timestamps are wall-clock --------------


def simulated_clock_for_waits(patches: _Patches, clock: SimulatedClock) -> None:
    from moto.stepfunctions.parser import models as parser_models
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state import state as state_module
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_callback
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
    from moto.stepfunctions.parser.backend import execution as execution_module
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    class SimulatedDatetime(_datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            moment = clock.now()
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    simulated_datetime_module = types.SimpleNamespace(
        datetime=SimulatedDatetime, timezone=_datetime.timezone, timedelta=_datetime.timedelta, date=_datetime.date
    )
    for module in (state_module, execution_module, parser_models):
        patches.set(module, "datetime", simulated_datetime_module)
    patches.set(EventManager, "_get_current_timestamp", staticmethod(clock.now))

    def wait_interval(self, env, wait_seconds):
        # moto only pulses program_state_event on a stop; the program state itself stays stopped.
        clock.sleep(wait_seconds, interrupted=lambda: not env.is_running())

    patches.set(WaitFunction, "_wait_interval", wait_interval)
    simulated_time = types.SimpleNamespace(sleep=clock.sleep, time=lambda: clock.now().timestamp())
    patches.set(retrier_decl, "time", simulated_time)
    patches.set(state_task_service_callback, "time", simulated_time)

    def start(self):
        ticket = clock.join()  # counted in before the thread exists, so time cannot run ahead of it
        thread = threading.Thread(target=clock.run_as, args=(ticket, self._execution_logic), daemon=True)
        thread.start()

    patches.set(ExecutionWorker, "start", start)

    # The interpreter runs each program and each task in helper threads: they sleep for the execution.
    from moto.stepfunctions.parser.asl.component.program import program as program_module
    from moto.stepfunctions.parser.asl.component.state.exec import execute_state

    participant_thread = clock.thread_class()
    patches.set(program_module, "threading", types.SimpleNamespace(**{**vars(threading), "Thread": participant_thread}))
    patches.set(execute_state, "Thread", participant_thread)


# --- Gap: executions outlive mock_aws and then call real endpoints ---------------------------------------


def block_real_endpoints(patches: _Patches) -> None:
    """Any HTTP request botocore would really send fails: inside mock_aws nothing reaches this point."""

    def refuse(self, request):
        raise RealEndpointBlocked(f"the emulator refused a real AWS call to {request.url}")

    patches.set(botocore.httpsession.URLLib3Session, "send", refuse)


# --- Gap: execution threads create boto3 clients at once, and botocore sessions are not thread-safe -------

_CLIENT_LOCK = threading.RLock()


def serialize_client_creation(patches: _Patches) -> None:
    """moto's task integrations and the in-process handlers all call boto3.client() from their own threads;
    unserialized, the shared default session sometimes fails ("'dict' object has no attribute 'region'")."""
    original = botocore.session.Session.create_client

    def create_client(self, *args, **kwargs):
        with _CLIENT_LOCK:
            return original(self, *args, **kwargs)

    patches.set(botocore.session.Session, "create_client", create_client)


# --- Not a gap but a cost: each botocore session, and moto for each model it reads, parse the same JSON anew ----


def _shared_loader(search_path_string=None):
    return _loader_for(search_path_string)  # create_loader() (moto's call) and create_loader(None) (botocore's): one


@functools.lru_cache(maxsize=None)
def _loader_for(search_path_string):
    return botocore.loaders.create_loader(search_path_string)


def one_data_loader(patches: _Patches) -> None:
    """moto makes a botocore session for every backend it creates (to list the service's regions) and a loader for
    every model it reads; each new loader parses the service's JSON again (a tenth of a second for EC2's), a
    second of a first replay. One loader per data path serves them all: a loaded model is the same for each."""
    import moto.core.utils

    patches.set(botocore.session, "create_loader", _shared_loader)
    patches.set(moto.core.utils, "create_loader", _shared_loader)


# --- Gap: SSM send_command always succeeds with empty stdout --------------------------------------------


def injected_command_output(patches: _Patches, output_for: Callable[[str, list[str]], tuple[str, str, str]]) -> None:
    """`output_for(instance_id, commands)` -> (status, stdout, stderr) is decided when the command is sent."""
    from moto.ssm.models import Command

    original_init = Command.__init__
    original_get_invocation = Command.get_invocation

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        commands = (self.parameters or {}).get("commands", [])
        self.napstack_results = {instance: output_for(instance, commands) for instance in self.instance_ids}

    def get_invocation(self, instance_id, plugin_name):
        invocation = dict(original_get_invocation(self, instance_id, plugin_name))
        status, stdout, stderr = self.napstack_results.get(instance_id, ("Success", "", ""))
        invocation.update(Status=status, StatusDetails=status, StandardOutputContent=stdout, StandardErrorContent=stderr)
        invocation["ResponseCode"] = 0 if status == "Success" else 1
        return invocation

    patches.set(Command, "__init__", init)
    patches.set(Command, "get_invocation", get_invocation)


# --- Gap: a path through a literal index ("$.a[0].b") yields a list, where Step Functions yields the value ---


def unwrap_indexed_paths(patches: _Patches) -> None:
    """moto's fix for getmoto/moto#7825 wraps `$.Reservations[0].Instances[0].PublicIpAddress` in a list."""
    from moto.stepfunctions.parser.asl.utils import json_path

    original = json_path.extract_json
    definite = re.compile(r"^\$(\.[A-Za-z0-9_-]+|\[\d+\]|\['[^']+'\])*$")

    def extract_json(path, data):
        value = original(path, data)
        if definite.match(path) and isinstance(value, list) and len(value) == 1 and not _is_list_at(path, data):
            return value[0]
        return value

    for module in _modules_importing(json_path.__name__, "extract_json"):
        patches.set(module, "extract_json", extract_json)
    # Not a gap but a cost: moto builds a JSONPath parser (PLY tables, files read) for every path it evaluates,
    # and again for every ResultPath it applies.
    from moto.stepfunctions.parser.asl.component.common.path import result_path

    patches.set(json_path, "parse", _parsed_json_path)
    patches.set(result_path, "parse", _parsed_result_path)


def parse_each_definition_once(patches: _Patches) -> None:
    """Not a gap but a cost: moto parses a definition with ANTLR at every execution start (a third of a second for
    the hook's), though the definition never changes. The syntax tree is kept per definition text, for the
    process's life and in the cache folder for the next process (a replay command parses each definition once,
    two fifths of a second in all; reading a kept tree takes a fiftieth). The evaluation components are still built
    fresh from it for each execution, as moto does."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = AmazonStateLanguageParser.parse
    original_validation = StepFunctionsParserBackend._validate_definition

    def validate_definition(definition: str):  # a definition valid once is valid: each emulator creates the same
        if definition not in _VALID_DEFINITIONS:
            original_validation(definition)
            _VALID_DEFINITIONS.add(definition)

    patches.set(StepFunctionsParserBackend, "_validate_definition", staticmethod(validate_definition))

    def parse(definition: str):
        if definition not in _SYNTAX_TREES:
            tree = _kept_tree(definition)
            if tree is None:
                tree = original(definition)[1]  # raises for a definition with syntax errors
                _keep_tree(definition, tree)
            _SYNTAX_TREES[definition] = tree
        tree = _SYNTAX_TREES[definition]
        return Preprocessor().visit(tree), tree

    patches.set(AmazonStateLanguageParser, "parse", staticmethod(parse))


_SYNTAX_TREES: dict[str, object] = {}  # definition text -> ANTLR tree, for the process's life
_VALID_DEFINITIONS: set[str] = set()


def _tree_key(definition: str) -> str:
    """The definition's text and moto's release (its grammar)."""
    import moto

    return hashlib.sha256(f"{moto.__version__}\0{definition}".encode()).hexdigest()


def _tree_file(definition: str) -> Path:
    """Where the tree of a definition that parsed is kept."""
    from napstack.synth import cache_folder

    return cache_folder().parent / "asl-trees" / f"{_tree_key(definition)[:32]}.pickle"


class _TreePickler(pickle.Pickler):
    """A syntax tree without its parser, lexer and text: the reader gives the text back (tokens read theirs from it)."""

    def persistent_id(self, obj):
        from antlr4 import InputStream, Lexer, Parser

        return "text" if isinstance(obj, InputStream) else "none" if isinstance(obj, (Lexer, Parser)) else None


class _TreeUnpickler(pickle.Unpickler):
    """Builds nothing but ANTLR's and moto's grammar classes (and plain data): a file in the cache cannot run code."""

    def __init__(self, file, definition: str) -> None:
        from antlr4 import InputStream

        super().__init__(file)
        self.text = InputStream(definition)

    def persistent_load(self, pid):
        return {"text": self.text, "none": None}[pid]

    def find_class(self, module: str, name: str):
        if module.split(".")[0] == "antlr4" or module == "moto.stepfunctions.parser.asl.antlr.runtime.ASLParser":
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a syntax tree")


def _kept_tree(definition: str):
    try:
        with _tree_file(definition).open("rb") as file:
            key, tree = _TreeUnpickler(file, definition).load()
        return tree if key == _tree_key(definition) else None  # a file copied by hand from another text's
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError,
            IndexError, KeyError, RecursionError):  # none kept, or damaged: parse again
        return None


def _keep_tree(definition: str, tree) -> None:
    file = _tree_file(definition)
    staging = None
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        handle, staging = tempfile.mkstemp(prefix=".", dir=file.parent)
        with os.fdopen(handle, "wb") as out:
            _TreePickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump((_tree_key(definition), tree))
        os.replace(staging, file)  # whole or not at all
    except (OSError, pickle.PicklingError, RecursionError):  # no cache to write to: the next process parses again
        if staging:
            with contextlib.suppress(OSError):
                os.unlink(staging)


def _json_copy(value):
    """copy.deepcopy for the JSON values states pass around, several times faster; anything else is deep-copied."""
    kind = type(value)
    if kind is dict:
        return {key: _json_copy(item) for key, item in value.items()}
    if kind is list:
        return [_json_copy(item) for item in value]
    if kind in (str, int, float, bool) or value is None:
        return value
    return copy.deepcopy(value)


def copy_json_values_quickly(patches: _Patches) -> None:
    """Not a gap but a cost: the interpreter deep-copies every path's value and every state's input (a fifth of
    a check's CPU with copy.deepcopy's generality). The copies stay copies, made for JSON's types."""
    quick = types.SimpleNamespace(**{**vars(copy), "deepcopy": _json_copy})
    for module in _modules_binding("copy", copy):
        patches.set(module, "copy", quick)


@functools.lru_cache(maxsize=4096)
def _parsed_json_path(path: str):
    from jsonpath_ng.ext import parse

    return parse(path)


@functools.lru_cache(maxsize=4096)
def _parsed_result_path(path: str):
    from jsonpath_ng import parse

    return parse(path)


def _is_list_at(path: str, data) -> bool:
    """Whether the value at a definite path really is a (one-element) list, as opposed to wrapped by moto."""
    matches = _parsed_json_path(path).find(data)
    return len(matches) == 1 and isinstance(matches[0].value, list)


# The interpreter's modules that bind a name napstack patches (`from ... import boto_client_for`), for moto 5.2.5.
# Listed, not searched for: importing all ~300 modules, or reading their sources, cost a replay's start a second
# or a tenth; tests/emulator/test_moto_gaps.py reads the sources and fails, naming the module, if one is missing.
MODULES_BINDING = {
    "boto_client_for": (
        "component.state.exec.state_map.item_reader.eval.resource_eval_s3",
        "component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3",
        "component.state.exec.state_task.lambda_eval_utils",
        *(f"component.state.exec.state_task.service.state_task_service_{name}"
          for name in ("aws_sdk", "batch", "dynamodb", "ecs", "events", "glue", "sfn", "sns", "sqs", "unsupported")),
    ),
    "extract_json": (
        "component.common.string.string_expression",
        "component.intrinsic.argument.argument",
        *(f"component.state.choice.comparison.operator.implementations.{name}"
          for name in ("boolean_equals", "numeric", "string_operators", "timestamp_operators")),
        "eval.states",
    ),
    "copy": (
        "component.common.path.result_path",
        "component.common.string.string_expression",
        "component.intrinsic.function.statesfunction.json_manipulation.json_merge",
        "component.state.exec.execute_state",
        "component.state.exec.state_map.item_reader.item_reader_decl",
        "component.state.exec.state_map.iteration.job",
        "component.state.exec.state_map.result_writer.result_writer_decl",
        "component.state.exec.state_map.state_map",
        "component.state.exec.state_parallel.state_parallel",
        "component.state.exec.state_task.mock_eval_utils",
        "component.state.exec.state_task.service.state_task_service",
        "eval.environment",
        "eval.event.event_manager",
        "eval.states",
    ),
}


def _modules_binding(name: str, value) -> list:
    """The interpreter's modules whose `name` is `value` (imported first)."""
    import importlib

    modules = [importlib.import_module(f"moto.stepfunctions.parser.asl.{module}") for module in MODULES_BINDING[name]]
    return [module for module in modules if getattr(module, name, None) is value]


def _modules_importing(module_name: str, attribute: str) -> list:
    return _modules_binding(attribute, getattr(sys.modules[module_name], attribute))


# --- Gap: Route53 DELETE succeeds with any values the record ever had; AWS needs the current ones --------


def route53_delete_needs_current_values(patches: _Patches) -> None:
    """AWS rejects a DELETE whose TTL or values differ from the record's current ones (InvalidChangeBatch, "the
    values provided do not match the current values"); moto accepts any values it has ever seen for the name.
    This is what makes a record the hook rewrote undeletable by CloudFormation's own RecordSet."""
    from moto.route53.exceptions import Route53ClientError
    from moto.route53.models import Route53Backend

    original = Route53Backend.change_resource_record_sets

    def change_resource_record_sets(self, zoneid, change_list):
        zone = self.get_hosted_zone(zoneid)
        for change in change_list:
            wanted = change.get("ResourceRecordSet", {})
            if change.get("Action") != "DELETE" or "SetIdentifier" in wanted:
                continue
            name = wanted.get("Name", "").rstrip(".").lower() + "."
            current = [r for r in zone.rrsets if r.name.rstrip(".").lower() + "." == name and r.type == wanted.get("Type")]
            values = sorted(r["Value"] for r in wanted.get("ResourceRecords", []))
            if not current or int(current[0].ttl or 0) != int(wanted.get("TTL", 0)) or sorted(current[0].records) != values:
                raise Route53ClientError(
                    "InvalidChangeBatch",
                    f"[Tried to delete resource record set [name='{name}', type='{wanted.get('Type')}'] but "
                    + ("it was not found]" if not current else "the values provided do not match the current values]"),
                )
        return original(self, zoneid, change_list)

    patches.set(Route53Backend, "change_resource_record_sets", change_resource_record_sets)


@contextlib.contextmanager
def route53_as_aws() -> Iterator[None]:
    """The Route53 gap alone, for handler tests on plain moto."""
    patches = _Patches()
    try:
        route53_delete_needs_current_values(patches)
        yield
    finally:
        patches.undo()


def _silent_game(result_type, protocol: str, host: str, port: int, timeout: float):
    raise TimeoutError(f"no game answers at {host}:{port}")


@contextlib.contextmanager
def patched(
    clock: SimulatedClock,
    function_folder_of: Callable[[str], str],
    command_output: Callable[[str, list[str]], tuple[str, str, str]],
    completed_lifecycle_actions: list[dict],
    hooks: InvocationHooks | None = None,
    game_answer: Callable | None = None,
    webhook: Callable | None = None,
) -> Iterator[None]:
    """`game_answer(QueryResult, protocol, host, port, timeout)`: what the game answers a query (raise TimeoutError
    for none)."""
    patches = _Patches()
    try:
        one_data_loader(patches)
        block_real_endpoints(patches)
        serialize_client_creation(patches)
        run_handlers_in_process(patches, function_folder_of, clock, hooks or InvocationHooks(), game_answer or _silent_game,
                                webhook)
        sns_lambda_event_as_aws_sends_it(patches, clock)
        convert_sdk_parameter_names(patches)
        pascal_case_sdk_error_names(patches)
        tasks_call_as_their_state_machine(patches)
        name_unnamed_executions(patches)
        complete_lifecycle_actions(patches, completed_lifecycle_actions)
        simulated_clock_for_waits(patches, clock)
        injected_command_output(patches, command_output)
        unwrap_indexed_paths(patches)
        parse_each_definition_once(patches)
        copy_json_values_quickly(patches)
        route53_delete_needs_current_values(patches)
        yield
    finally:
        patches.undo()

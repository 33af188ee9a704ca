"""Not a gap but a cost: the watchdog check's AWS calls answered by moto without the HTTP round trip.

Every AWS call in the emulator goes botocore -> a signed HTTP request -> moto rebuilding a web request from it
-> moto's responder -> a rendered body -> botocore parsing it back. For the calls a watchdog check makes every
minute, that round trip was most of a check's CPU while moto's own work took microseconds. `answer` replaces
only the round trip (botocore's `BaseClient._make_request`): everything before it still runs (parameter
handlers, validation, serialization, `before-call` hooks such as botocore's Stubber) and so does everything
after (`after-call` hooks, the error raised from the parsed response). The request botocore prepared is handed
to the service's moto responder as its `setup_class` would set it up from HTTP, and what the responder renders
goes through botocore's own response parser. Answers, errors and the world's state are the same as over HTTP
(tests/emulator/test_in_process_calls.py makes each call both ways).

For the query, ec2 and json protocols the request names its operation in the body or headers; a REST service's
operation is found by moto's router from the URL, so only the REST operations listed here (Lambda's Invoke, which
Step Functions makes at every check) are answered in-process, the operation named by botocore.
"""

from __future__ import annotations

import functools
import importlib
from urllib.parse import urlencode, urlparse

from botocore.awsrequest import AWSResponse, HeadersDict
from botocore.endpoint import convert_to_response_dict
from moto.core.botocore_stubber import MockRawResponse
from moto.core.exceptions import HTTPException
from moto.core.utils import method_names_from_class
from moto.utilities.utils import get_partition
from werkzeug.datastructures import Headers, MultiDict

# What a watchdog check calls (the check's host_check and player_check, Step Functions invoking it), by service:
# the responder moto routes it to.
RESPONDERS = {
    "autoscaling": ("moto.autoscaling.responses", "AutoScalingResponse"),
    "ssm": ("moto.ssm.responses", "SimpleSystemManagerResponse"),
    "ec2": ("moto.ec2.responses", "EC2Response"),
    "lambda": ("moto.awslambda.responses", "LambdaResponse"),
}
BODY_PROTOCOLS = ("query", "ec2", "json")
REST_OPERATIONS = {("lambda", "Invoke")}  # their responders read the function from the path, as botocore builds it


def take_calls_in_process(patches) -> None:
    """From now until `patches` are undone, the calls `answers` serves are answered in-process."""
    import moto.core.responses
    from botocore.client import BaseClient

    original = BaseClient._make_request

    def make_request(client, operation_model, request_dict, request_context):
        if answers(client, operation_model.name):
            return answer(client, operation_model, request_dict)
        return original(client, operation_model, request_dict, request_context)

    patches.set(BaseClient, "_make_request", make_request)
    patches.set(moto.core.responses, "method_names_from_class", method_names_once)


def answers(client, operation_name: str) -> bool:
    """Whether `answer` serves this call (otherwise it takes the HTTP round trip)."""
    model = client.meta.service_model
    if model.service_name not in RESPONDERS:
        return False
    return model.resolved_protocol in BODY_PROTOCOLS or (model.service_name, operation_name) in REST_OPERATIONS


def answer(client, operation_model, request_dict: dict) -> tuple[AWSResponse, dict]:
    """(HTTP response, parsed response) for a request botocore prepared, as `BaseClient._make_request` returns them."""
    responder = _responder_for(client, operation_model.name, request_dict)
    try:
        status, headers, body = responder.call_action()
    except HTTPException as error:  # what moto's request dispatcher does with an error raised as an HTTP response
        status, headers, body = error.code, error.get_headers(), error.get_body()
    http = AWSResponse(request_dict["url"], int(status), HeadersDict({key: str(value) for key, value in dict(headers).items()}),
                       MockRawResponse(body))
    return http, _parsed(client, http, operation_model)


def _parsed(client, http: AWSResponse, operation_model) -> dict:
    """The response parsed as botocore's Endpoint._do_get_response parses it (one attempt, no retries)."""
    endpoint = client._endpoint
    response_dict = convert_to_response_dict(http, operation_model)
    customized: dict = {}
    endpoint._event_emitter.emit(
        f"before-parse.{operation_model.service_model.service_id.hyphenize()}.{operation_model.name}",
        operation_model=operation_model, response_dict=response_dict, customized_response_dict=customized,
    )
    parser = endpoint._response_parser_factory.create_parser(operation_model.service_model.resolved_protocol)
    parsed = parser.parse(response_dict, operation_model.output_shape)
    parsed.update(customized)
    if http.status_code >= 300:
        endpoint._add_modeled_error_fields(response_dict, parsed, operation_model, parser)
    if "ResponseMetadata" in parsed:
        parsed["ResponseMetadata"]["RetryAttempts"] = 0
    return parsed


def _responder_for(client, operation_name: str, request_dict: dict):
    """moto's responder for the service, set up from the request as its setup_class sets it up from HTTP."""
    responder = _responder_class(client.meta.service_model.service_name)()
    if client.meta.service_model.resolved_protocol not in BODY_PROTOCOLS:
        responder._get_action = lambda: operation_name  # what moto's router would find from the method and URL
    body = request_dict["body"]
    form = MultiDict()
    if isinstance(body, dict):  # the query and ec2 protocols: the form botocore url-encodes into the body
        form, body = MultiDict(body), urlencode(body).encode()
    body = body.encode() if isinstance(body, str) else body
    values = form or MultiDict(request_dict["query_string"])  # a REST call's parameters are in the URL
    headers = Headers(request_dict["headers"])
    responder.is_werkzeug_request = False
    responder.normalized_request = None
    responder.raw_body = body
    responder.body = body if responder.use_raw_body else body.decode()
    responder.form_data = form
    responder.querystring = responder.data = {key: [value] for key, value in values.items()}
    responder.uri = request_dict["url"]
    responder.parsed_url = urlparse(responder.uri)
    responder.path = responder.raw_path = responder.parsed_url.path
    responder.method = request_dict["method"]
    responder.region = client.meta.region_name
    responder.partition = get_partition(responder.region)
    responder.uri_match = {}
    responder.headers = headers
    responder.response_headers = {"server": "amazon.com"}
    if responder.automated_parameter_parsing:
        responder.parse_parameters(_ParsedRequest(responder.method, values, headers, body, responder.path))
    responder.access_key = responder.get_access_key()
    responder.current_account = responder.get_current_account()
    return responder


class _ParsedRequest:
    """The parts of a web request moto's parameter parser reads."""

    def __init__(self, method: str, values: MultiDict, headers: Headers, data: bytes, path: str) -> None:
        self.method, self.values, self.headers, self.data, self.path = method, values, headers, data, path
        self.content_type = headers.get("Content-Type", "")


@functools.lru_cache(maxsize=None)
def _responder_class(service: str):
    module, name = RESPONDERS[service]
    return getattr(importlib.import_module(module), name)


# moto looks a responder's actions up with inspect at every call; a class's methods do not change.
method_names_once = functools.lru_cache(maxsize=None)(method_names_from_class)

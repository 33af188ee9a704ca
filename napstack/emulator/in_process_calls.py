"""Not a gap but a cost: the watchdog check's AWS calls answered by moto without the HTTP round trip.

Every AWS call in the emulator goes botocore -> a signed HTTP request -> moto rebuilding a web request from it
-> moto's responder -> a rendered body -> botocore parsing it back. For the calls a watchdog check makes every
minute, that round trip was most of a check's CPU while moto's own work was a few microseconds. Here botocore
still serializes the request (validating it) and still parses the response with its own parser; what is skipped
is the signing, the werkzeug request and moto's URL routing: the bytes botocore would send are handed to the
service's moto responder directly, and what it renders goes straight to botocore's parser. Answers, errors and
the world's state are the same as through HTTP (tests/emulator/test_in_process_calls.py compares both paths).

For the query, ec2 and json protocols the request names its operation in the body or headers; a REST service's
operation is found by moto's router from the URL, so only the REST operations listed here (Lambda's Invoke, which
Step Functions makes at every check) are answered in-process, the operation named by botocore.
"""

from __future__ import annotations

import functools
import io
from urllib.parse import urlencode, urlparse

from botocore.awsrequest import HeadersDict
from botocore.response import StreamingBody
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


def answers(client, operation_name: str) -> bool:
    """Whether `answer` serves this call (otherwise it takes the HTTP round trip)."""
    model = client.meta.service_model
    if model.service_name not in RESPONDERS:
        return False
    return model.resolved_protocol in BODY_PROTOCOLS or (model.service_name, operation_name) in REST_OPERATIONS


def answer(client, operation_name: str, api_params: dict) -> dict:
    """What `client.<operation>(**api_params)` returns through moto, or the ClientError it raises."""
    operation_model = client.meta.service_model.operation_model(operation_name)
    # botocore's serializer validates first (ParamValidationError, as before sending), then renders the request.
    request = client._serializer.serialize_to_request(api_params, operation_model)
    responder = _responder_for(client, operation_name, request)
    try:
        status, headers, body = responder.call_action()
    except HTTPException as error:  # what moto's request dispatcher does with an error raised as an HTTP response
        status, headers, body = error.code, error.get_headers(), error.get_body()
    body = body.encode() if isinstance(body, str) else body
    response = {
        "status_code": int(status),
        "headers": HeadersDict({key: str(value) for key, value in dict(headers).items()}),
        # as botocore's endpoint hands a response to its parser: a streamed member (Invoke's Payload) as a stream
        "body": StreamingBody(io.BytesIO(body), len(body)) if operation_model.has_streaming_output and int(status) < 300
        else body,
        "context": {"operation_name": operation_name},
    }
    parsed = client._response_parser.parse(response, operation_model.output_shape)
    parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = 0
    if int(status) >= 300:  # as BaseClient._make_api_call raises it
        error = parsed.get("Error", {})
        code = error.get("QueryErrorCode") or error.get("Code")
        raise client.exceptions.from_code(code)(parsed, operation_name)
    return parsed


def _responder_for(client, operation_name: str, request: dict):
    """moto's responder for the service, set up from the request as its setup_class sets it up from HTTP."""
    service = client.meta.service_model.service_name
    responder = _responder_class(service)()
    if client.meta.service_model.resolved_protocol not in BODY_PROTOCOLS:
        responder._get_action = lambda: operation_name  # what moto's router would find from the method and URL
    body = request["body"]
    form = MultiDict()
    if isinstance(body, dict):  # the query and ec2 protocols: the form botocore would url-encode into the body
        form, body = MultiDict(body), urlencode(body).encode()
    values = form or MultiDict(request["query_string"])  # a REST call's parameters in the URL
    text = body.decode() if isinstance(body, bytes) else body
    headers = Headers(request["headers"])
    responder.is_werkzeug_request = False
    responder.normalized_request = None
    responder.raw_body = body
    responder.body = body if responder.use_raw_body else text
    responder.form_data = form
    responder.querystring = responder.data = {key: [value] for key, value in values.items()}
    query = urlencode(request["query_string"])
    responder.uri = client.meta.endpoint_url + request["url_path"] + (f"?{query}" if query else "")
    responder.parsed_url = urlparse(responder.uri)
    responder.path = responder.raw_path = responder.parsed_url.path
    responder.method = request["method"]
    responder.region = client.meta.region_name
    responder.partition = get_partition(responder.region)
    responder.uri_match = {}
    responder.headers = headers
    responder.response_headers = {"server": "amazon.com"}
    if responder.automated_parameter_parsing:
        responder.parse_parameters(_ParsedRequest(request["method"], values, headers, body, request["url_path"]))
    responder.access_key = responder.get_access_key()
    responder.current_account = responder.get_current_account()
    return responder


class _ParsedRequest:
    """The parts of a web request moto's parameter parser reads."""

    def __init__(self, method: str, values: MultiDict, headers: Headers, data, path: str) -> None:
        self.method, self.values, self.headers, self.data, self.path = method, values, headers, data, path
        self.content_type = headers.get("Content-Type", "")


@functools.lru_cache(maxsize=None)
def _responder_class(service: str):
    import importlib

    module, name = RESPONDERS[service]
    return getattr(importlib.import_module(module), name)


# moto looks a responder's actions up with inspect at every call; a class's methods do not change.
method_names_once = functools.lru_cache(maxsize=None)(method_names_from_class)

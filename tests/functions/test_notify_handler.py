"""notify's handler, for real, against webhook receivers on 127.0.0.1: a Discord-shaped one that answers 429 with
`retry_after` once, one that answers 404 (a deleted webhook), one that never answers. SSM and SNS are moto's."""

import importlib.util
import json
import socket
import threading
import time
import types
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from moto import mock_aws

import webhook_post
from tests.conftest import ROOT

PARAMETER = "/napstack/discord"


class Receiver(BaseHTTPRequestHandler):
    """Answers each POST with the next of `answers` ((status, headers, body)); the last one repeats."""

    def do_POST(self):
        self.server.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.server.agents.append(self.headers.get("User-Agent"))
        status, headers, body = self.server.answers[min(len(self.server.bodies), len(self.server.answers)) - 1]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    servers = []

    def start(*answers):
        server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        server.answers, server.bodies, server.agents = list(answers), [], []
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server, f"http://127.0.0.1:{server.server_address[1]}/api/webhooks/1/secret-token"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def silent():
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook/secret-token"
    listener.close()


@pytest.fixture
def world(monkeypatch):
    with mock_aws():
        sns = boto3.client("sns", region_name="us-east-1")
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        queue = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="mail")["QueueUrl"]
        queue_arn = f"arn:aws:sqs:us-east-1:123456789012:mail"
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
        channels = [{"Channel": "discord", "UrlParameter": PARAMETER, "Kinds": ["starting", "ready", "stopped"]}]
        monkeypatch.setenv("NOTIFY_CHANNELS", json.dumps(channels))
        monkeypatch.setenv("SERVER_NAME", "mc")
        monkeypatch.setenv("ALERTS_TOPIC_ARN", topic)
        monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "notify")
        spec = importlib.util.spec_from_file_location("notify_app_under_test", ROOT / "functions" / "notify" / "app.py")
        app = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(app)

        def mails():
            messages = boto3.client("sqs", region_name="us-east-1").receive_message(
                QueueUrl=queue, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get("Messages", [])
            return [m["Body"] for m in messages]

        yield types.SimpleNamespace(app=app, mails=mails, set_url=lambda url: boto3.client("ssm", region_name="us-east-1")
                                    .put_parameter(Name=PARAMETER, Value=url, Type="SecureString", Overwrite=True))


def sns_event(kind="ready", subject="mc: ready", message="mc is ready: mc.example.com:25565, 1/20 players."):
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": "arn:aws:sns:x",
                         "Sns": {"Type": "Notification", "MessageId": "1", "TopicArn": "arn:aws:sns:x", "Subject": subject,
                                 "Message": message, "Timestamp": "2026-01-01T20:00:00.000Z", "SignatureVersion": "1",
                                 "Signature": "x", "SigningCertUrl": "x", "UnsubscribeUrl": "x",
                                 "MessageAttributes": {"server": {"Type": "String", "Value": "mc"},
                                                       "kind": {"Type": "String", "Value": kind}}}}]}


def context(seconds=60.0):
    deadline = time.monotonic() + seconds
    return types.SimpleNamespace(function_name="notify", memory_limit_in_mb=256, aws_request_id="r",
                                 invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:notify",
                                 get_remaining_time_in_millis=lambda: int((deadline - time.monotonic()) * 1000))


def test_a_429_is_waited_out_as_retry_after_says_then_posted_once(world, receiver, capsys):
    server, url = receiver((429, {"Content-Type": "application/json"}, b'{"retry_after": 0.3, "global": false}'),
                           (204, {}, b""))
    world.set_url(url)
    started = time.monotonic()
    result = world.app.handler(sns_event(), context())
    assert time.monotonic() - started >= 0.3
    (delivery,) = result["deliveries"]
    assert delivery["delivered"] and delivery["attempts"] == 2 and delivery["status"] == 204
    assert len(server.bodies) == 2 and server.bodies[1]["allowed_mentions"] == {"parse": []}
    assert server.bodies[1]["content"] == "mc: ready" and server.agents[0].startswith("napstack-notify")
    assert world.mails() == []
    assert "secret-token" not in capsys.readouterr().out


def test_retry_after_header_is_honoured_and_a_long_one_is_capped(monkeypatch, receiver):
    waits = []
    monkeypatch.setattr(webhook_post.time, "sleep", waits.append)
    server, url = receiver((429, {"Retry-After": "2"}, b""), (429, {"Retry-After": "3600"}, b""), (204, {}, b""))
    outcome = webhook_post.post(url, {"content": "x"})
    assert waits == [2.0] and not outcome.delivered and outcome.status == 429  # an hour is more than a Lambda waits
    assert "3600" in outcome.error and len(server.bodies) == 2


def test_a_deleted_webhook_is_told_once_by_mail_without_its_url(world, receiver, capsys):
    server, url = receiver((404, {"Content-Type": "application/json"}, b'{"message": "Unknown Webhook", "code": 10015}'))
    world.set_url(url)
    (delivery,) = world.app.handler(sns_event(), context())["deliveries"]
    assert not delivery["delivered"] and delivery["attempts"] == 1 and delivery["status"] == 404
    assert len(server.bodies) == 1  # permanent: not retried
    (mail,) = world.mails()
    assert "HTTP 404" in mail and PARAMETER in mail and "create a new one" in mail
    assert "secret-token" not in mail and "secret-token" not in capsys.readouterr().out


def test_a_gone_webhook_is_told_once_per_url_and_a_new_url_is_tried_and_told_afresh(world, receiver):
    """404 (deleted) and 401 (token revoked): the mail goes out once per parameter Version, whichever alert found it;
    the URL is still tried at each alert. A new URL (put-parameter --overwrite) is a new Version."""
    deleted, deleted_url = receiver((404, {"Content-Type": "application/json"}, b'{"message": "Unknown Webhook"}'))
    world.set_url(deleted_url)
    first = world.app.handler(sns_event(), context())["deliveries"][0]
    later = world.app.handler(sns_event(kind="stopped", subject="mc: scaled down"), context())["deliveries"][0]
    assert (first["told"], later["told"]) == ("now", "before (version 1 of the parameter)")
    assert len(deleted.bodies) == 2 and not later["delivered"]
    (mail,) = world.mails()
    assert "not told again" in mail and "put-parameter --overwrite" in mail
    tags = boto3.client("ssm", region_name="us-east-1").list_tags_for_resource(ResourceType="Parameter", ResourceId=PARAMETER)
    assert tags["TagList"] == [{"Key": "napstack:dead-webhook-version", "Value": "1"}]

    revoked, revoked_url = receiver((401, {}, b'{"message": "401: Unauthorized"}'))
    world.set_url(revoked_url)  # version 2: a new URL, gone too
    assert world.app.handler(sns_event(), context())["deliveries"][0]["told"] == "now"
    (mail,) = world.mails()
    assert "HTTP 401" in mail
    working, working_url = receiver((204, {}, b""))
    world.set_url(working_url)
    assert world.app.handler(sns_event(), context())["deliveries"][0]["delivered"] and world.mails() == []


@pytest.mark.parametrize("status, gone", [(404, True), (401, True), (403, True), (410, True), (400, False), (413, False)])
def test_which_refusals_mean_the_url_is_gone(receiver, status, gone):
    """Deleted, revoked, archived: the URL; a malformed or too large body: that one message."""
    server, url = receiver((status, {}, b"{}"))
    outcome = webhook_post.post(url, {"content": "x"})
    assert outcome.permanent and outcome.gone == gone and len(server.bodies) == 1


def test_a_message_the_service_refuses_is_told_each_time(world, receiver):
    """A 400 is about one message (napstack's body), not the URL: no mark, every such failure is mailed."""
    server, url = receiver((400, {}, b'{"message": "Invalid Form Body"}'))
    world.set_url(url)
    for _ in range(2):
        assert world.app.handler(sns_event(), context())["deliveries"][0]["told"] == "now"
    assert len(world.mails()) == 2


def test_a_webhook_that_never_answers_costs_a_bounded_time(world, silent, monkeypatch):
    monkeypatch.setattr(webhook_post, "TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(webhook_post, "BACKOFF_SECONDS", (0.1, 0.1))
    world.set_url(silent)
    started = time.monotonic()
    (delivery,) = world.app.handler(sns_event(kind="stopped", subject="mc: scaled down"), context())["deliveries"]
    assert time.monotonic() - started < 3
    assert not delivery["delivered"] and delivery["attempts"] == webhook_post.ATTEMPTS and "timed out" in delivery["error"]
    (mail,) = world.mails()
    assert "timed out" in mail and "secret-token" not in mail


def test_a_kind_the_channel_does_not_take_is_not_posted_and_a_missing_parameter_is_told(world, receiver):
    server, url = receiver((204, {}, b""))
    assert world.app.handler(sns_event(kind="problem"), context())["deliveries"] == []
    (delivery,) = world.app.handler(sns_event(), context())["deliveries"]  # the parameter was never created
    assert not delivery["delivered"] and "ParameterNotFound" in delivery["error"]
    (mail,) = world.mails()
    assert "ParameterNotFound" in mail and server.bodies == []


def test_a_parameter_that_holds_no_url_is_refused_without_echoing_it(world):
    world.set_url("not a url but a secret")
    (delivery,) = world.app.handler(sns_event(), context())["deliveries"]
    assert not delivery["delivered"] and "not an https:// URL" in delivery["error"]
    assert "secret" not in json.dumps(delivery) and "secret" not in world.mails()[0]


def test_a_test_alert_reaches_every_channel_whatever_its_kinds(world, receiver):
    server, url = receiver((204, {}, b""))
    world.set_url(url)
    (delivery,) = world.app.handler(sns_event(kind="test", subject="mc: test notification"), context())["deliveries"]
    assert delivery["delivered"] and server.bodies[0]["content"] == "mc: test notification"

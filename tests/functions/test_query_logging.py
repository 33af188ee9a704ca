"""query_logging: the zone's query-logging configuration is created once Route53 may write to the group (the
resource policy's propagation waited out), refused with the fix when the zone already has one, and deleted with
the stack; the real handler on moto's Route53 and CloudWatch Logs."""

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from hypothesis import HealthCheck, given, settings, strategies as st
from moto import mock_aws

from logging_config import DELAYS, RETRIED, ZoneAlreadyLogsQueries, create, delete

GROUP = "/aws/route53/example.com"


@pytest.fixture
def aws():
    with mock_aws():
        route53 = boto3.client("route53", region_name="us-east-1")
        zone = route53.create_hosted_zone(Name="example.com", CallerReference="t")["HostedZone"]["Id"].rsplit("/", 1)[-1]
        logs = boto3.client("logs", region_name="us-east-1")
        logs.create_log_group(logGroupName=GROUP)
        arn = logs.describe_log_groups()["logGroups"][0]["arn"]
        yield route53, zone, arn if arn.endswith(":*") else f"{arn}:*"


def test_a_policy_still_propagating_is_waited_out(aws):
    route53, zone, arn = aws
    slept = []
    with Stubber(route53) as stub:
        for _ in range(3):
            stub.add_client_error("create_query_logging_config", "InsufficientCloudWatchLogsResourcePolicy", http_status_code=400)
        stub.add_response("create_query_logging_config", {
            "QueryLoggingConfig": {"Id": "abc", "HostedZoneId": zone, "CloudWatchLogsLogGroupArn": arn}, "Location": "x"})
        assert create(route53, zone, arn, sleep=slept.append) == "abc"
    assert slept == list(DELAYS[:3])


def test_a_policy_that_never_propagates_fails_the_deploy_after_about_two_minutes(aws):
    route53, zone, arn = aws
    slept = []
    with Stubber(route53) as stub:
        for _ in range(len(DELAYS) + 1):
            stub.add_client_error("create_query_logging_config", "InsufficientCloudWatchLogsResourcePolicy", http_status_code=400)
        with pytest.raises(route53.exceptions.InsufficientCloudWatchLogsResourcePolicy):
            create(route53, zone, arn, sleep=slept.append)
    assert 90 <= sum(slept) <= 180


def test_a_zone_that_already_logs_queries_is_refused_with_the_key_that_reuses_its_group(aws):
    route53, zone, arn = aws
    first = create(route53, zone, arn, sleep=pytest.fail)
    with pytest.raises(ZoneAlreadyLogsQueries, match=f"already logs its queries to {GROUP} .* set QueryLogGroup: {GROUP}"):
        create(route53, zone, arn, sleep=pytest.fail)
    assert delete(route53, first) == f"{first} deleted" and delete(route53, first) == f"{first} was already gone"
    assert not route53.list_query_logging_configs()["QueryLoggingConfigs"]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(transient=st.lists(st.sampled_from(sorted(RETRIED)), max_size=len(DELAYS)),
       permanent=st.sampled_from(["InvalidInput", "NoSuchHostedZone", "NoSuchCloudWatchLogsLogGroup", "AccessDenied"]))
def test_whatever_transient_errors_come_first_the_configuration_is_made_and_a_permanent_one_fails_at_once(
        transient, permanent):
    """The deploy-time counterpart of the fault property test: the call is CloudFormation's, so its failure route
    is a failed deploy (rolled back, no server started), never a configuration half made."""
    route53 = boto3.client("route53", region_name="us-east-1")
    slept = []
    with Stubber(route53) as stub:
        for code in transient:
            stub.add_client_error("create_query_logging_config", code, http_status_code=400)
        stub.add_response("create_query_logging_config", {
            "QueryLoggingConfig": {"Id": "abc", "HostedZoneId": "Z1", "CloudWatchLogsLogGroupArn": "arn"}, "Location": "x"})
        assert create(route53, "Z1", "arn", sleep=slept.append) == "abc"
    assert slept == list(DELAYS[:len(transient)])
    with Stubber(route53) as stub:
        stub.add_client_error("create_query_logging_config", permanent, http_status_code=400)
        with pytest.raises(ClientError, match=permanent):
            create(route53, "Z1", "arn", sleep=pytest.fail)

"""Is the game's ECS service still asked to run? A deploy can set it to 0 while the instance runs."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError


def service_stopped(ecs, cluster: str, service: str) -> tuple[bool, str | None]:
    """(True, None) when the service's desired count is 0; (False, why not known) when it cannot be read: the check
    goes on as if it ran, and the next check asks again.

    CloudFormation sends the template's DesiredCount (0, the asleep state) on every update of the service
    (aws/containers-roadmap#493): a new image or environment value deployed during a session stops the game while
    the instance stays up and billed."""
    if not (cluster and service):
        return False, "the function was deployed without its service's name"
    try:
        found = ecs.describe_services(cluster=cluster, services=[service])["services"]
    except (ClientError, BotoCoreError) as failed:
        return False, f"the game's service could not be read ({failed})"
    if not found:
        return False, f"the game's service {service} was not found"
    return found[0]["desiredCount"] == 0, None

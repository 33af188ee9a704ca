"""A webhook that is gone (HTTP 401/403/404/410: deleted, its token revoked, its channel archived; or a parameter value
that is no URL) is told to the owner once, not at every later alert: its parameter gets a tag naming the Version whose
URL failed.

Tags on a standard parameter are free and outlive the function, and the mark travels with the URL: every game whose
channel names the parameter sees it, and a new URL (`put-parameter --overwrite`: a new Version) is tried and, should
it fail too, told about afresh. IAM: ListTagsForResource and AddTagsToResource on the named parameters only.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

TAG = "napstack:dead-webhook-version"


class DeadWebhooks:
    def __init__(self, ssm) -> None:
        self._ssm = ssm

    def told_before(self, parameter: str, version: int) -> bool:
        """Whether the owner was told that this Version's URL is gone. A mark that cannot be read counts as none:
        told twice is better than never."""
        try:
            tags = self._ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=parameter)["TagList"]
        except (ClientError, BotoCoreError):
            return False
        return any(tag["Key"] == TAG and tag["Value"] == str(version) for tag in tags)

    def remember(self, parameter: str, version: int) -> str | None:
        """Marks this Version's URL as told: None, or why the mark was not kept (the next failure tells again)."""
        try:
            self._ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=parameter,
                                           Tags=[{"Key": TAG, "Value": str(version)}])
        except ClientError as error:
            return error.response["Error"]["Code"]
        except BotoCoreError as error:
            return type(error).__name__
        return None

"""Efs: encrypted storage that survives scale-down, mounted in the task (IAM + TLS) and on the host at /mnt/efs."""

import re

from aws_cdk import Aws, Duration, Fn, NestedStack, RemovalPolicy, aws_backup as backup, aws_ec2 as ec2, aws_ecs as ecs, aws_efs as efs
from aws_cdk import aws_events as events, aws_iam as iam
from constructs import Construct

from napstack.config import LeafConfig
from stacks.acknowledge import acknowledge_managed_policies
from stacks.placement import ServerPlacement


def access_point_path(container_path: str) -> str:
    """Each volume gets its own directory on the file system, named after its container path."""
    return "/volumes/" + (re.sub(r"[^A-Za-z0-9._-]+", "-", container_path.strip("/")) or "root")


BACKUP_SCHEDULES = {
    "daily": events.Schedule.cron(hour="5", minute="0"),
    "weekly": events.Schedule.cron(week_day="MON", hour="5", minute="0"),
}


def lifecycle_policy(days: int | None) -> efs.LifecyclePolicy | None:
    return None if days is None else getattr(efs.LifecyclePolicy, f"AFTER_{days}_DAY{'S' if days > 1 else ''}")


def per_deployment_name(prefix: str) -> str:
    """`<prefix>-<8 hex>`, the hex taken from this stack's id, which is new each time the stack is created: a
    retained resource keeps its name after a destroy, and the next deploy must not collide with it."""
    stack_uuid = Fn.select(2, Fn.split("/", Aws.STACK_ID))
    return Fn.join("-", [prefix, Fn.select(0, Fn.split("-", stack_uuid))])


class Efs(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        sg_efs_traffic: ec2.ISecurityGroup,
        task_definition: ecs.TaskDefinition,
        container: ecs.ContainerDefinition,
        placement: ServerPlacement,
        config: LeafConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        keep = all(v.keep_on_delete for v in config.volumes)  # one file system: the config ensures they agree
        storage = config.efs
        # A sleeping world is not read for days: lifecycle management moves it to the cheap classes, and the
        # first read brings a file back to Standard. Throughput is the config's own key, never derived from Archive
        # (which needs Elastic): EFS refuses to leave Elastic while files are in Archive, so a deploy that turned
        # Archive off and Elastic with it would fail.
        self.efs_file_system = efs.FileSystem(
            self,
            "FileSystem",
            vpc=vpc,
            vpc_subnets=placement.subnets,
            # CDK's one_zone would pick a base subnet by zone name; the placement's own subnet decides the zone (below).
            one_zone=False,
            security_group=sg_efs_traffic,
            encrypted=True,
            allow_anonymous_access=False,
            lifecycle_policy=lifecycle_policy(storage.infrequent_access_after_days),
            transition_to_archive_policy=lifecycle_policy(storage.archive_after_days),
            out_of_infrequent_access_policy=(
                efs.OutOfInfrequentAccessPolicy.AFTER_1_ACCESS if storage.back_to_standard_on_access else None
            ),
            throughput_mode=getattr(efs.ThroughputMode, storage.throughput_mode.upper()),
            removal_policy=RemovalPolicy.RETAIN if keep else RemovalPolicy.DESTROY,
        )
        # EFS turns automatic backups on by default for One Zone file systems (CreateFileSystem reference) and CDK
        # writes no policy unless they are on: a second, 35-day plan napstack does not own would run beside its own
        # (AWS Backup below, when the config asks for it), even with Backups: false, and outlive destroy.
        file_system_resource: efs.CfnFileSystem = self.efs_file_system.node.default_child
        file_system_resource.backup_policy = efs.CfnFileSystem.BackupPolicyProperty(status="DISABLED")
        if placement.availability_zone is not None:
            file_system_resource.availability_zone_name = placement.availability_zone
        # The host sees the whole file system (SFTP, manual restores); the task sees only its volumes.
        self.host_access_point = self.efs_file_system.add_access_point(
            "Host", path="/", posix_user=efs.PosixUser(uid="0", gid="0")
        )

        for index, volume in enumerate(config.volumes):
            access_point = self.efs_file_system.add_access_point(
                f"Volume{index}",
                path=access_point_path(volume.container_path),
                create_acl=efs.Acl(owner_uid=str(volume.uid), owner_gid=str(volume.gid), permissions="755"),
            )
            volume_name = f"volume{index}"
            task_definition.add_volume(
                name=volume_name,
                efs_volume_configuration=ecs.EfsVolumeConfiguration(
                    file_system_id=self.efs_file_system.file_system_id,
                    transit_encryption="ENABLED",
                    authorization_config=ecs.AuthorizationConfig(
                        access_point_id=access_point.access_point_id, iam="ENABLED"
                    ),
                ),
            )
            container.add_mount_points(
                ecs.MountPoint(container_path=volume.container_path, source_volume=volume_name, read_only=volume.read_only)
            )
            actions = ["elasticfilesystem:ClientMount"] + ([] if volume.read_only else ["elasticfilesystem:ClientWrite"])
            task_definition.task_role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=actions,
                    resources=[self.efs_file_system.file_system_arn],
                    conditions={"StringEquals": {"elasticfilesystem:AccessPointArn": access_point.access_point_arn}},
                )
            )

        if config.volumes and config.volumes[0].backups:
            # The vault and plan belong to AWS Backup, not to the task: a compromised game cannot delete them.
            vault = backup.BackupVault(
                self, "Vault", backup_vault_name=per_deployment_name(config.stack_name), removal_policy=RemovalPolicy.RETAIN
            )
            plan = backup.BackupPlan(self, "Backups", backup_vault=vault)
            # Backups of EFS are incremental: a world that did not change adds next to nothing per copy.
            plan.add_rule(
                backup.BackupPlanRule(
                    rule_name=f"{storage.backup_schedule}-{storage.backup_retention_days}-days",
                    schedule_expression=BACKUP_SCHEDULES[storage.backup_schedule],
                    delete_after=Duration.days(storage.backup_retention_days),
                )
            )
            selection = plan.add_selection(
                "FileSystem", resources=[backup.BackupResource.from_efs_file_system(self.efs_file_system)]
            )
            acknowledge_managed_policies(
                selection,
                ["service-role/AWSBackupServiceRolePolicyForBackup"],
                "The AWS-maintained policy AWS Backup documents for its own service role.",
            )

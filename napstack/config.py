"""The napstack configuration: one YAML file per container, one base file shared by all of them.

Keys are PascalCase (``Watchdog.IdleChecks``) like CloudFormation's. Unknown keys are errors, so a
typo never silently falls back to a default. ``load_leaf_config`` returns the validated model or
raises ``ConfigError`` carrying one line per problem.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
import re
from pathlib import Path
from typing import Annotated, Literal

import botocore.loaders
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_pascal

from napstack.inputs import InputError, load_yaml, mapping_child, scalar_as_written

SCHEMA_FILE = "napstack.schema.json"
BASE_SCHEMA_FILE = "napstack-base.schema.json"
MAX_PORT_RANGE = 100


AVAILABILITY_ZONE = r"^([a-z]{2}(-[a-z]+)+-\d[a-z]|[a-z]+\d+-az\d+)$"  # a zone name, or a zone ID


# What each pattern means, for error messages a person can act on.
PATTERN_HINTS = {
    r"^[A-Za-z_][A-Za-z0-9_]*$": "an environment variable name: letters, digits and _, not starting with a digit",
    r"^[a-z][a-z0-9-]*\.[a-z0-9]+$": "an EC2 instance type such as t3.medium",
    r"^/[A-Za-z0-9._/-]*$": "an absolute path such as /data",
    r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$": "one DNS label of at most 63 lowercase letters, digits and inner hyphens, such as mc",
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$": "an e-mail address",
    r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$": "2-24 lowercase letters, digits and hyphens, starting with a letter, such as minecraft-java",
    r"^[A-Za-z0-9_.-]{1,255}$": "a key pair name: letters, digits, _ . and -",
    r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$": "a lowercase domain name such as example.com, each label at most 63 characters",
    r"^Z[A-Z0-9]{4,31}$": "a hosted zone id such as Z0123456789ABCDEFGHIJ (Route53 console, Hosted zones)",
    AVAILABILITY_ZONE: "a zone ID such as use1-az4 or a zone name such as us-east-1a",
    r"^/aws/route53/[A-Za-z0-9_./#-]{1,499}$": "a log group name starting with /aws/route53/, as Route53 query logging requires",
}


class ConfigError(Exception):
    """A config file that cannot be used; ``problems`` holds one human-readable line each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_pascal,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )


class PortMapping(_Model):
    """A port or a range of ports the game listens on, open to the internet."""

    protocol: Literal["tcp", "udp"] = Field(description="tcp or udp.")
    port: int = Field(ge=1, le=65535, strict=True, description="The port, or the first port of a range.")
    to_port: int | None = Field(
        default=None, ge=1, le=65535, strict=True, description="Last port of a range (inclusive); omit for one port."
    )

    @model_validator(mode="before")
    @classmethod
    def _from_shorthand(cls, value):
        """Accept "25565/tcp" and "2456-2457/udp" as well as the long form."""
        if not isinstance(value, str):
            return value
        match = re.fullmatch(r"\s*(\d+)(?:-(\d+))?/(tcp|udp)\s*", value.lower())
        if not match:
            raise ValueError(f"'{value}' is not a port: write 25565/tcp or 2456-2457/udp")
        first, last, protocol = match.groups()
        return {"Protocol": protocol, "Port": int(first), "ToPort": int(last) if last else None}

    @model_validator(mode="after")
    def _range_is_ordered(self):
        if self.to_port is not None:
            if self.to_port < self.port:
                raise ValueError(f"ToPort {self.to_port} is below Port {self.port}")
            if self.to_port - self.port + 1 > MAX_PORT_RANGE:
                raise ValueError(f"a range may hold at most {MAX_PORT_RANGE} ports")
        return self

    @property
    def ports(self) -> list[int]:
        return list(range(self.port, (self.to_port or self.port) + 1))


EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class ContainerConfig(_Model):
    image: str = Field(min_length=1, description="Container image, e.g. itzg/minecraft-server:java21.")
    ports: list[PortMapping] = Field(
        min_length=1, description='Ports the game listens on: "25565/tcp", "2456-2457/udp" or {Protocol, Port, ToPort}.'
    )
    environment: dict[EnvName, str] = Field(
        default_factory=dict,
        description="Environment variables (plain text in the task definition: no secrets).",
    )
    memory_mib: int = Field(strict=True, ge=128, description="Hard memory limit of the container in MiB; leave ~512 for the host.")

    @field_validator("environment", mode="before")
    @classmethod
    def _values_as_text(cls, value):
        """YAML turns TRUE, 1 and 1.20 into bool/int/float; the container only ever sees text."""
        if isinstance(value, dict):
            return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in value.items()}
        return value


INSTANCE_TYPES_FILE = Path(__file__).with_name("instance_types.json")
INSTANCE_TYPES: dict[str, dict] = json.loads(INSTANCE_TYPES_FILE.read_text())["types"]
# ECS registers the memory the kernel reports, less than installed: AWS's m4.large example registers 7,985 of
# 8,192 MiB (97.5%). napstack leaves a further 256 MiB for the host's own agents (ECS, SSM, EFS, sshd).
REGISTERED_SHARE, HOST_RESERVE_MIB = 0.975, 256
# Host ports ECS reserves on every container instance (sshd, Docker, the ECS agent's introspection).
ECS_RESERVED_PORTS = {22: "SSH on the host", 2375: "Docker", 2376: "Docker (TLS)", 51678: "the ECS agent", 51679: "the ECS agent"}
TASK_DEFINITION_LIMIT_BYTES = 65_536  # ECS's documented maximum task definition size


def instance_architecture(instance_type: str) -> str:
    """`arm64` for Graviton instance types, `x86_64` for the rest: which ECS-optimized image the instance boots."""
    return INSTANCE_TYPES[instance_type]["architecture"]


def task_memory_limit_mib(instance_type: str) -> int:
    """The most a task may ask for on `instance_type` and still be placed, with room left for the host."""
    return int(INSTANCE_TYPES[instance_type]["memory_mib"] * REGISTERED_SHARE) - HOST_RESERVE_MIB


class LaunchFailuresConfig(_Model):
    give_up_after: int = Field(
        strict=True, default=3, ge=1, le=10,
        description="Failed launches (\"EC2 Instance Launch Unsuccessful\") before the group is set back to 0. Each one "
        "is alerted with AWS's reason; until then Auto Scaling retries, in another subnet or zone where it can.",
    )
    within_minutes: int = Field(
        strict=True, default=60, ge=1, le=1440,
        description="...counted within this many minutes (failures before the last idle stop never count).",
    )


class Ec2Config(_Model):
    instance_type: str = Field(
        pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$",
        description="EC2 instance type, e.g. t3.medium. Graviton types (t4g, m7g, ...) boot the arm64 ECS image: "
        "the container image must then be built for linux/arm64.",
    )
    @field_validator("instance_type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in INSTANCE_TYPES:
            family = value.split(".", 1)[0]
            known = sorted({t.split(".", 1)[0] for t in INSTANCE_TYPES})
            same_family = sorted(t for t in INSTANCE_TYPES if t.startswith(family + "."))
            hint = f"sizes of {family}: {', '.join(same_family)}" if same_family else f"families: {', '.join(known)}"
            raise ValueError(
                f"{value!r} is not an instance type napstack knows ({hint}); to use it, add it with its vCPUs, "
                f"memory and architecture to napstack/{INSTANCE_TYPES_FILE.name}"
            )
        return value

    root_volume_gib: int = Field(
        strict=True, default=30, ge=30, le=1000, description="Root EBS volume (the ECS-optimized AMI needs 30 GiB)."
    )
    launch_failures: LaunchFailuresConfig = Field(
        default_factory=LaunchFailuresConfig, description="When a server that cannot launch stops trying."
    )
    warm_pool: bool = Field(
        default=False, strict=True,
        description="Fast start: keep one instance stopped in an Auto Scaling warm pool, the game's image already "
        "pulled onto its disk, so a wake starts it instead of launching a new one (README, \"Fast start\"). Costs its "
        "root volume every month and a short refill launch after each session: `napstack cost` prices both. Off by "
        "default.",
    )


class VolumeConfig(_Model):
    container_path: str = Field(pattern=r"^/[A-Za-z0-9._/-]*$", description="Absolute path inside the container.")

    @field_validator("container_path")
    @classmethod
    def _a_real_directory(cls, value: str) -> str:
        if value.strip("/") == "":
            raise ValueError("'/' would hide the container's whole file system: mount a directory such as /data")
        if ".." in value.split("/"):
            raise ValueError(f"{value!r} climbs out with '..': write the directory's own path, such as /data")
        return value
    read_only: bool = Field(default=False, description="Mount read-only in the container.")
    keep_on_delete: bool = Field(default=True, description="Keep the file system when the stack is deleted.")
    backups: bool = Field(default=True, description="AWS Backup of the file system (Efs.BackupSchedule, Efs.BackupRetentionDays).")
    uid: int = Field(strict=True, default=1000, ge=0, description="Owner uid of the directory when first created.")
    gid: int = Field(strict=True, default=1000, ge=0, description="Owner gid of the directory when first created.")


class MaxUptimeConfig(_Model):
    hours: float = Field(strict=True, default=12, gt=0, le=8760, description="Hours after launch before acting.")
    action: Literal["alert", "stop"] = Field(
        default="alert", description="alert: only send an alert; stop: alert and scale down."
    )


# Zone IDs EFS lists no One Zone file systems in, where its "Supported Availability Zones for One Zone file
# systems" page lists the region's others (https://docs.aws.amazon.com/efs/latest/ug/OneZoneAZs.html).
ONE_ZONE_EFS_MISSING = {"use1-az3": "use1-az1, use1-az2, use1-az4, use1-az5, use1-az6", "usw1-az2": "usw1-az1, usw1-az3"}
# How zone IDs abbreviate a region's words: us-east-1 -> use1, ap-northeast-1 -> apne1, ca-west-1 -> caw1.
ZONE_ID_WORDS = {"north": "n", "south": "s", "east": "e", "west": "w", "central": "c", "northeast": "ne",
                 "northwest": "nw", "southeast": "se", "southwest": "sw"}


def is_zone_id(zone: str) -> bool:
    return "-az" in zone


def zone_id_prefix(region: str) -> str | None:
    """`use1` for us-east-1: how the region's zone IDs begin; None for a region whose words are not known."""
    country, *words, number = region.split("-")
    if not words or any(word not in ZONE_ID_WORDS for word in words):
        return None
    return country + "".join(ZONE_ID_WORDS[word] for word in words) + number


def zone_problem(zone: str, region: str) -> str | None:
    """Why `zone` (a name or a zone ID) cannot hold a One Zone file system of `region`, as far as known offline."""
    if is_zone_id(zone):
        prefix = zone_id_prefix(region)
        if prefix is not None and zone.split("-az")[0] != prefix:
            return f"{zone} is not a zone of LeafRegion {region}, whose zone IDs begin {prefix}-az"
        return None
    if zone[:-1] != region:
        return f"{zone} is not a zone of LeafRegion {region}, whose zone names are {region}a, {region}b, ..."
    return None


IA_DAYS = Literal[1, 7, 14, 30, 60, 90, 180, 270, 365]  # what EFS lifecycle management offers
ARCHIVE_DAYS = Literal[1, 7, 14, 30, 60, 90, 180, 270, 365]


class EfsConfig(_Model):
    """Where the world sleeps: storage classes, zones and backups of the game's EFS file system."""

    infrequent_access_after_days: IA_DAYS | None = Field(
        default=7,
        description="Days without access before a file moves to Infrequent Access (~95% cheaper to keep, a small "
        "charge per GB read); null keeps everything in Standard. 7: a weekly game stays warm, a sleeping world goes cold.",
    )
    archive_after_days: ARCHIVE_DAYS | None = Field(
        default=None,
        description="Days without access before a file moves on to Archive (cheaper still, dearer to read); needs "
        "ThroughputMode: elastic. Off by default: a game that wakes pays for every read.",
    )
    throughput_mode: Literal["bursting", "elastic"] = Field(
        default="bursting",
        description="bursting: nothing billed beyond storage, bursts on credits the idle days earn (ample for a game "
        "server); elastic: throughput on demand, billed per GB read and written (napstack cost prices it), and what "
        "Archive needs. Set here only, "
        "never changed as a side effect of another key: EFS refuses to leave elastic while any file is in Archive, so "
        "once ArchiveAfterDays has been on, keep elastic (turning Archive off leaves files in Archive).",
    )
    back_to_standard_on_access: bool = Field(
        default=True, description="A file read from IA or Archive moves back to Standard: tonight's world is fast tomorrow."
    )
    one_zone: bool = Field(
        default=False,
        description="One Zone file system (about half the price of Standard) in Efs.AvailabilityZone; the server then "
        "launches only in that zone, so an outage or a capacity shortage there keeps it from starting. Off by default.",
    )
    availability_zone: str | None = Field(
        default=None,
        pattern=AVAILABILITY_ZONE,
        description="With OneZone: the zone, by zone ID (use1-az4: the same place in every account) or by name as "
        "your account maps it (us-east-1a). It must offer One Zone EFS and the instance type (README: how to find one); "
        "a file system already deployed keeps its data only if this names the zone it is in.",
    )
    backup_schedule: Literal["daily", "weekly"] = Field(
        default="daily", description="When AWS Backup copies the file system (when Volumes ask for backups)."
    )
    backup_retention_days: int = Field(
        strict=True, default=35, ge=1, le=3650, description="How long each backup is kept."
    )

    @model_validator(mode="after")
    def _archive_is_regional(self):
        if self.one_zone and self.archive_after_days is not None:
            raise ValueError("Efs.ArchiveAfterDays: EFS offers Archive on Regional file systems only; drop it or Efs.OneZone")
        return self

    @model_validator(mode="after")
    def _one_zone_names_its_zone(self):
        if self.one_zone and self.availability_zone is None:
            raise ValueError(
                "Efs.OneZone needs Efs.AvailabilityZone: a zone ID such as use1-az4 (the same place in every account) "
                "or a zone name such as us-east-1a; see the README for one offering One Zone EFS and the instance type"
            )
        if self.availability_zone is not None and not self.one_zone:
            raise ValueError(f"Efs.AvailabilityZone {self.availability_zone} places a One Zone file system: add "
                             "Efs.OneZone: true, or drop it")
        if self.availability_zone in ONE_ZONE_EFS_MISSING:
            raise ValueError(
                f"Efs.AvailabilityZone {self.availability_zone}: EFS offers no One Zone file systems there (EFS guide, "
                f"Supported Availability Zones for One Zone file systems); the region's are "
                f"{ONE_ZONE_EFS_MISSING[self.availability_zone]}"
            )
        return self

    @model_validator(mode="after")
    def _archive_needs_elastic(self):
        if self.archive_after_days is not None and self.throughput_mode != "elastic":
            raise ValueError(
                f"Efs.ArchiveAfterDays needs Efs.ThroughputMode: elastic, not {self.throughput_mode} (EFS moves files "
                "to Archive only on Elastic throughput); set it, and keep it once files are in Archive: EFS refuses to "
                "leave elastic while any are"
            )
        return self

    @model_validator(mode="after")
    def _archive_after_ia(self):
        if self.archive_after_days is not None and self.infrequent_access_after_days is not None:
            if self.archive_after_days <= self.infrequent_access_after_days:
                raise ValueError(
                    f"Efs.ArchiveAfterDays {self.archive_after_days} must be more than Efs.InfrequentAccessAfterDays "
                    f"{self.infrequent_access_after_days} (EFS moves files to Archive after Infrequent Access)"
                )
        return self


QUERY_TRANSPORTS = {"minecraft-java": "tcp", "minecraft-bedrock": "udp", "a2s": "udp"}


class QueryConfig(_Model):
    """Ask the game how many players are online, as a player's client does, instead of counting connections."""

    protocol: Literal["minecraft-java", "minecraft-bedrock", "a2s"] = Field(
        description="minecraft-java: Server List Ping (TCP); minecraft-bedrock: RakNet ping (UDP); a2s: Steam's "
        "A2S_INFO/A2S_PLAYER (UDP: Valheim, ARK, Rust, CS2, 7 Days to Die, Project Zomboid, Enshrouded ...)."
    )
    port: int | None = Field(
        default=None, ge=1, le=65535, strict=True,
        description="The port the query answers on, one of Container.Ports with the protocol's transport (default: "
        "the first such port). Valheim answers A2S on its game port + 1.",
    )
    timeout_seconds: float = Field(strict=True, default=2, ge=0.2, le=10, description="Seconds to wait for the answer.")

    @property
    def transport(self) -> str:
        return QUERY_TRANSPORTS[self.protocol]


class WatchdogConfig(_Model):
    protocol: Literal["tcp", "udp"] | None = Field(
        default=None, description="What counts as a player: tcp connections or udp packets (default: the first port's)."
    )
    port: int | None = Field(
        default=None, ge=1, le=65535, strict=True, description="The port to watch (default: the first container port)."
    )
    udp_packet_threshold: int = Field(
        strict=True, default=10, ge=0, description="UDP datagrams per check above which the server counts as in use."
    )
    count_ssh: bool = Field(default=True, description="An SSH/SFTP session on the host counts as activity.")
    interval_seconds: int = Field(strict=True, default=60, ge=10, le=3600, description="Seconds between checks.")
    idle_checks: int = Field(strict=True, default=5, ge=1, le=1000, description="Consecutive idle checks before scaling down.")
    max_failed_checks: int = Field(
        strict=True, default=5, ge=1, le=1000, description="Consecutive failed checks before scaling down anyway."
    )
    startup_grace_minutes: int = Field(
        strict=True, default=10, ge=0, le=1440, description="Minutes after launch in which a game not yet listening is not idle; the grace ends "
        "earlier, at the first check where the game listens or has a player."
    )
    max_uptime: MaxUptimeConfig = Field(default_factory=MaxUptimeConfig, description="Guard against all-night servers.")
    reconcile_minutes: int = Field(
        default=5, ge=5, le=60, description="Minutes between the reconciler's runs, which put back what a lost event left "
        "out (a server up without a watchdog, DNS at a stopped one); under 5 its runs would cost more than a cent a month."
    )
    query: QueryConfig | None = Field(
        default=None, description="Count players by asking the game (when it answers) instead of counting connections."
    )


DnsLabel = Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]


QueryType = Literal["A", "AAAA", "CNAME", "TXT", "MX", "SRV", "HTTPS", "SVCB", "NS", "SOA", "CAA", "PTR", "ANY"]


class DnsConfig(_Model):
    sub_domain: DnsLabel = Field(description="Name under the base domain: mc gives mc.example.com.")
    ttl: int = Field(
        strict=True, default=30,
        ge=1,
        le=86400,
        description="Record TTL in seconds: low, so a player whose first try failed gets the new address on the retry.",
    )
    start_on: list[QueryType] = Field(
        default_factory=lambda: ["A", "AAAA"],
        min_length=1,
        description="Query types that start the server (resolver prefetches of other types do not). SRV: only the "
        "lookup the game's client makes first, _<service>._<protocol>.<name> (napstack publishes that record), so "
        "scanners asking for A do not wake it.",
    )
    srv_service: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$",
        description="With SRV in StartOn: the service the game's clients look up (minecraft: _minecraft._tcp.<name>); "
        "default minecraft when Watchdog.Query is minecraft-java.",
    )
    cooldown_minutes: int = Field(
        strict=True, default=0, ge=0, le=1440, description="After an idle stop, lookups within this many minutes do not restart..."
    )
    cooldown_lookups: int = Field(strict=True, default=3, ge=1, le=1000, description="...unless repeated this many times.")


MAX_DNS_NAME = 253  # RFC 1035: a name of at most 253 characters (written without its final dot)
DNS_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")  # at most 63 characters
EMAIL_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")  # RFC 5322 dot-atom


def _email_address(value: str) -> str:
    """An address SNS can deliver to: a dot-atom local part of at most 64 characters at a DNS name."""
    local, _, domain = value.rpartition("@")
    labels = domain.lower().split(".")
    if not (len(local) <= 64 and EMAIL_LOCAL_PART.fullmatch(local) and len(domain) <= MAX_DNS_NAME and len(labels) > 1
            and all(DNS_LABEL.fullmatch(label) for label in labels) and labels[-1].isalpha()):
        raise ValueError(f"{value[:80]!r} is not an e-mail address such as admin@example.com")
    return value


def _one_each(emails: list[str]) -> list[str]:
    """Each address once, whatever its case: SNS would subscribe it twice and send every alert twice."""
    kept: dict[str, str] = {}
    for email in emails:
        kept.setdefault(email.lower(), email)
    return list(kept.values())


EmailAddress = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), AfterValidator(_email_address)]
EmailAddresses = Annotated[list[EmailAddress], AfterValidator(_one_each)]


NOTIFY_KINDS = ("starting", "ready", "stopped", "problem")
SSM_PARAMETER_NAME = re.compile(r"/[A-Za-z0-9_.\-/]{1,1000}")


class NotifyChannel(_Model):
    """A chat or webhook that gets this server's alerts; its URL stays in an SSM SecureString parameter."""

    channel: Literal["discord", "slack", "webhook"] = Field(
        description="discord: a channel's webhook (Server Settings, Integrations); slack: an incoming webhook; "
        "webhook: any URL that takes a JSON POST."
    )
    url_parameter: str = Field(
        description="Name of the SSM SecureString parameter holding the webhook URL, such as /napstack/discord "
        "(create it with `aws ssm put-parameter --type SecureString`). Read at run time, never deployed."
    )
    kinds: list[Literal["starting", "ready", "stopped", "problem"]] = Field(
        default_factory=lambda: list(NOTIFY_KINDS), min_length=1,
        description="Which alerts it gets: starting (woken), ready (the game answers), stopped (the session's "
        "summary), problem (could not start, not watched, up for long, the query hint).",
    )

    @field_validator("url_parameter")
    @classmethod
    def _parameter_name(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"{value[:80]!r} is not a full parameter name: start it with /, such as /napstack/discord")
        if not SSM_PARAMETER_NAME.fullmatch(value) or value.endswith("/") or "//" in value:
            raise ValueError(f"{value[:80]!r} is not an SSM parameter name: letters, digits and _ . - / only, "
                             "such as /napstack/discord")
        if value.lower().split("/")[1].startswith(("aws", "ssm")):
            raise ValueError(f"{value[:80]!r}: SSM reserves names starting with aws or ssm; use /napstack/...")
        return value


NotifyChannels = Annotated[list[NotifyChannel], Field(max_length=10)]


# `napstack passphrase` writes this: scrypt's cost (log2 N), block size r and parallelism p, then the salt and the
# derived key in base64 (napstack/passphrase.py). Only this slow hash deploys, never the passphrase.
PASSPHRASE_HASH = r"^scrypt\$1[5-7]\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$"
PATTERN_HINTS[PASSPHRASE_HASH] = "what `napstack passphrase` prints (scrypt$17$8$1$<salt>$<key>), never the passphrase itself"
PassphraseHash = Annotated[str, Field(pattern=PASSPHRASE_HASH)]


class StatusPageConfig(_Model):
    """The base's status page: every game's state, and a wake button for friends who know the passphrase."""

    enabled: bool = Field(
        default=True, description="Deploy the page: a Lambda function URL in the base (no charge while nobody opens it)."
    )
    passphrase_hash: PassphraseHash | None = Field(
        default=None, description="The wake button's passphrase for every game, as `napstack passphrase` hashes it "
        "(a game's own StatusPage.PassphraseHash takes its place). Without one, the page only shows.",
    )
    # Not reserved by default: Lambda refuses a reservation that leaves the account fewer than 100 unreserved
    # executions, and new accounts have a quota of 10, so any number here would fail the base stack's deploy there.
    reserved_concurrency: int | None = Field(
        strict=True, default=None, ge=1, le=100,
        description="At most this many requests at once, capping what a flood of requests can cost (10 is plenty for "
        "friends). Needs an account whose Lambda concurrency quota is at least 100 more (new accounts have 10 and the "
        "deploy fails); null: not reserved, `napstack check` says what that means.",
    )


class GameStatusPageConfig(_Model):
    passphrase_hash: PassphraseHash | None = Field(
        default=None, description="This game's own wake passphrase, as `napstack passphrase` hashes it (instead of "
        "the base's).",
    )


class SshConfig(_Model):
    allowed_cidrs: list[str] = Field(
        default_factory=list, description="IPv4 CIDRs allowed on port 22 of the host; empty means port 22 stays closed."
    )

    @field_validator("allowed_cidrs")
    @classmethod
    def _valid_cidrs(cls, cidrs: list[str]) -> list[str]:
        for cidr in cidrs:
            try:
                ipaddress.IPv4Network(cidr)
            except ValueError as error:
                raise ValueError(f"'{cidr}' is not an IPv4 CIDR like 203.0.113.7/32 ({error})") from None
        return cidrs


class LeafConfig(_Model):
    """One container run on demand."""

    name: str = Field(
        pattern=r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$",
        description="Short name (lowercase letters, digits, hyphens): the stack is Napstack-<Name>.",
    )
    base: str = Field(default="base.yaml", description="Base config file, relative to this file.")
    container: ContainerConfig
    ec2: Ec2Config
    volumes: list[VolumeConfig] = Field(default_factory=list, description="EFS volumes; data survives scale-down.")
    efs: EfsConfig = Field(default_factory=EfsConfig, description="Storage classes, zone and backups of the volumes' file system.")
    watchdog: WatchdogConfig = Field(default_factory=WatchdogConfig)
    dns: DnsConfig
    start_on_lookup: bool = Field(
        default=True,
        description="False: no DNS lookup wakes this game, only the status page's wake button (the base's "
        "StartOnLookup: false turns lookups off for every game).",
    )
    alert_emails: EmailAddresses = Field(default_factory=list, description="Extra alert e-mails for this server.")
    notify: NotifyChannels = Field(default_factory=list, description="Chats and webhooks told about this server, besides the base's.")
    ssh: SshConfig = Field(default_factory=SshConfig)
    status_page: GameStatusPageConfig = Field(default_factory=GameStatusPageConfig, description="This game on the base's status page.")

    @field_validator("name")
    @classmethod
    def _one_stack_per_name(cls, value: str) -> str:
        if "--" in value:
            raise ValueError(
                f"{value!r} has consecutive hyphens: {value} and {value.replace('--', '-')} would both be stack "
                f"Napstack-{''.join(p.capitalize() for p in value.split('-'))}; use single hyphens"
            )
        return value

    @model_validator(mode="after")
    def _volumes_share_one_file_system(self):
        # All volumes live on one EFS file system, so retention and backups cannot differ per volume.
        for key in ("keep_on_delete", "backups"):
            if len({getattr(v, key) for v in self.volumes}) > 1:
                raise ValueError(
                    f"Volumes: {to_pascal(key)} must be the same for every volume (they share one EFS file system)"
                )
        paths = [v.container_path for v in self.volumes]
        if len(paths) != len(set(paths)):
            raise ValueError("Volumes: each ContainerPath may appear only once")
        return self

    @model_validator(mode="after")
    def _fits_the_instance(self):
        if self.ec2.instance_type not in INSTANCE_TYPES:
            return self  # named by the instance type's own check
        limit = task_memory_limit_mib(self.ec2.instance_type)
        if self.container.memory_mib > limit:
            raise ValueError(
                f"Container.MemoryMib {self.container.memory_mib} is more than a {self.ec2.instance_type} can give a "
                f"task: at most {limit} (ECS registers about 97.5% of its "
                f"{INSTANCE_TYPES[self.ec2.instance_type]['memory_mib']} MiB and napstack leaves {HOST_RESERVE_MIB} MiB "
                "for the host); the task would never be placed while the instance is billed. Lower it or pick a larger type"
            )
        return self

    @model_validator(mode="after")
    def _ports_can_be_mapped(self):
        seen: dict[tuple[str, int], int] = {}
        for index, mapping in enumerate(self.container.ports):
            for port in mapping.ports:
                if (mapping.protocol, port) in seen:
                    raise ValueError(
                        f"Container.Ports: {port}/{mapping.protocol} is mapped twice (entries {seen[(mapping.protocol, port)] + 1} "
                        f"and {index + 1}); ECS rejects a host port used twice"
                    )
                seen[(mapping.protocol, port)] = index
                if mapping.protocol == "tcp" and port in ECS_RESERVED_PORTS:
                    raise ValueError(
                        f"Container.Ports: {port}/tcp is taken on the host by {ECS_RESERVED_PORTS[port]} (ECS reserves it); "
                        "map the game to another port"
                    )
        return self

    @model_validator(mode="after")
    def _environment_fits_a_task_definition(self):
        size = len(json.dumps(self.container.environment).encode())
        if size > TASK_DEFINITION_LIMIT_BYTES // 2:
            raise ValueError(
                f"Container.Environment is {size} bytes; a task definition may hold {TASK_DEFINITION_LIMIT_BYTES} bytes in "
                f"all, so keep the environment under {TASK_DEFINITION_LIMIT_BYTES // 2} (put large settings in a file on EFS)"
            )
        return self

    @model_validator(mode="after")
    def _grace_covers_a_check(self):
        watchdog = self.watchdog
        if 0 < watchdog.startup_grace_minutes * 60 < watchdog.interval_seconds:
            raise ValueError(
                f"Watchdog.StartupGraceMinutes {watchdog.startup_grace_minutes} ends before the first check "
                f"({watchdog.interval_seconds} s after launch), so it could never apply: make it at least "
                f"{-(-watchdog.interval_seconds // 60)}, or 0 for no grace"
            )
        return self

    @model_validator(mode="after")
    def _lookups_that_wake_it(self):
        dns = self.dns
        if not self.start_on_lookup and "start_on" in dns.model_fields_set:
            raise ValueError("Dns.StartOn names lookups that start it, and StartOnLookup: false says none does: "
                             "remove one of them")
        if "SRV" in dns.start_on and self.srv_service is None:
            raise ValueError("Dns.StartOn has SRV: set Dns.SrvService to the service the game's clients look up "
                             "(SrvService: minecraft publishes _minecraft._tcp.<name>)")
        if dns.srv_service and "SRV" not in dns.start_on:
            raise ValueError(f"Dns.SrvService {dns.srv_service} names the SRV record napstack publishes only with SRV "
                             "in Dns.StartOn: add SRV to StartOn or remove SrvService")
        return self

    @property
    def srv_service(self) -> str | None:
        """The SRV record's service label (`minecraft`), by default Minecraft Java's for a game queried as one."""
        query = self.watchdog.query
        return self.dns.srv_service or ("minecraft" if query and query.protocol == "minecraft-java" else None)

    @property
    def srv_prefix(self) -> str | None:
        """`_minecraft._tcp`: the published SRV record's name before the game's, with SRV in Dns.StartOn."""
        return f"_{self.srv_service}._{self.watched_protocol}" if "SRV" in self.dns.start_on else None

    @property
    def lookup_types(self) -> tuple[str, ...]:
        """The query types that wake it; none with StartOnLookup: false."""
        return tuple(self.dns.start_on) if self.start_on_lookup else ()

    @model_validator(mode="after")
    def _watched_port_is_open(self):
        if self.watchdog.port is not None and self.watchdog.port not in self.all_ports(self.watchdog.protocol):
            raise ValueError(
                f"Watchdog.Port {self.watchdog.port} is not one of Container.Ports"
                + (f" with protocol {self.watchdog.protocol}" if self.watchdog.protocol else "")
            )
        if self.watchdog.protocol and not self.all_ports(self.watchdog.protocol):
            raise ValueError(f"Watchdog.Protocol {self.watchdog.protocol}: no Container.Ports use that protocol")
        return self

    @model_validator(mode="after")
    def _query_port_is_open(self):
        query = self.watchdog.query
        if query is None:
            return self
        ports = self.all_ports(query.transport)
        if not ports:
            raise ValueError(f"Watchdog.Query: {query.protocol} answers over {query.transport}, and no Container.Ports use "
                             f"{query.transport}: map the query port (e.g. {{Port: ..., Protocol: {query.transport}}})")
        if query.port is not None and query.port not in ports:
            raise ValueError(f"Watchdog.Query.Port {query.port}/{query.transport} is not one of Container.Ports: the "
                             "security group opens only those, so the query would never be answered; add it to Ports")
        return self

    @property
    def query_port(self) -> int | None:
        query = self.watchdog.query
        return None if query is None else query.port or self.all_ports(query.transport)[0]

    def all_ports(self, protocol: str | None = None) -> list[int]:
        return [p for m in self.container.ports if protocol in (None, m.protocol) for p in m.ports]

    @property
    def watched_protocol(self) -> str:
        return self.watchdog.protocol or self.container.ports[0].protocol

    @property
    def watched_port(self) -> int:
        return self.watchdog.port or self.all_ports(self.watched_protocol)[0]

    @property
    def stack_name(self) -> str:
        return "Napstack-" + "".join(part.capitalize() for part in self.name.split("-"))


class SshKeyPairConfig(_Model):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,255}$", description="Name of the EC2 key pair to create.")


@functools.cache
def commercial_regions() -> list[str]:
    """The regions of the `aws` partition, from the endpoint data botocore ships (no AWS call). A leaf lives there:
    start_server runs in us-east-1 and credentials never cross partitions (aws-cn, aws-us-gov, ...)."""
    partitions = botocore.loaders.create_loader().load_data("partitions")["partitions"]
    (aws,) = [p for p in partitions if p["id"] == "aws"]
    return sorted(region for region in aws["regions"] if re.fullmatch(aws["regionRegex"], region))


STACK_NAME_LIMIT = 128  # CloudFormation's longest stack name


def _pascal(text: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", text) if part)


class BaseConfig(_Model):
    """What every leaf shares: the network, the DNS zone and where alerts go."""

    domain_name: str = Field(
        pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", description="The hosted zone's domain, e.g. example.com."
    )
    hosted_zone_id: str = Field(pattern=r"^Z[A-Z0-9]{4,31}$", description="Route53 public hosted zone id.")
    max_azs: int = Field(strict=True, default=2, ge=1, le=6, description="Availability zones for the public subnets.")
    alert_emails: EmailAddresses = Field(default_factory=list, description="Who gets alerts from every server.")
    notify: NotifyChannels = Field(default_factory=list, description="Chats and webhooks told about every server.")
    status_page: StatusPageConfig = Field(default_factory=StatusPageConfig, description="The page friends open to see and wake the games.")
    ssh_key_pair: SshKeyPairConfig | None = Field(default=None, description="Create an EC2 key pair for SSH access.")
    start_on_lookup: bool = Field(
        default=True,
        description="Deploy Napstack-Start-<Domain>-<LeafRegion> in us-east-1: Route53 query logging for the zone starts a leaf "
        "when its name is looked up.",
    )
    leaf_region: str = Field(
        default="us-east-1",
        pattern=r"^[a-z]{2}(-[a-z]+)+-\d$",
        description="Region the base and leaf stacks are deployed to; start_server (in us-east-1) starts leaves there.",
    )
    query_log_group: str | None = Field(
        default=None,
        pattern=r"^/aws/route53/[A-Za-z0-9_./#-]{1,499}$",
        description="A us-east-1 log group the zone already sends its query logs to (Route53 allows one query-logging "
        "configuration per zone): napstack then subscribes to it instead of creating its own configuration and group. "
        "Also for a second base (another LeafRegion) on the same zone: name the first base's group.",
    )

    @property
    def stack_name_suffix(self) -> str:
        """What tells this base's stacks from another base's in the same account: its zone's domain and its region
        (`ExampleCom-UsEast1`), hashed down when CloudFormation's 128 characters would not hold it."""
        suffix = f"{_pascal(self.domain_name)}-{_pascal(self.leaf_region)}"
        room = STACK_NAME_LIMIT - len("Napstack-Start-")
        if len(suffix) > room:
            digest = hashlib.sha256(f"{self.domain_name} {self.leaf_region}".encode()).hexdigest()[:8]
            suffix = f"{suffix[:room - 9]}-{digest}"
        return suffix

    @property
    def base_stack_name(self) -> str:
        return f"Napstack-Base-{self.stack_name_suffix}"

    @property
    def start_stack_name(self) -> str:
        return f"Napstack-Start-{self.stack_name_suffix}"

    @property
    def query_log_group_name(self) -> str:
        """Where the zone's query logs land: the group napstack creates, or the one named by QueryLogGroup."""
        return self.query_log_group or f"/aws/route53/{self.domain_name}"

    @field_validator("domain_name")
    @classmethod
    def _short_enough(cls, value: str) -> str:
        if len(value) > MAX_DNS_NAME:
            raise ValueError(f"{value[:40]}... is {len(value)} characters; a DNS name has at most {MAX_DNS_NAME}")
        return value

    @field_validator("leaf_region")
    @classmethod
    def _aws_region(cls, value: str) -> str:
        regions = commercial_regions()
        if value not in regions:
            raise ValueError(f"{value!r} is not a region of AWS's commercial partition, where Napstack-Start (us-east-1) "
                             f"can start a leaf; use one of: {', '.join(regions)}")
        return value


class NapstackConfig(BaseModel):
    """A leaf together with its base, as one app synthesizes them."""

    model_config = ConfigDict(frozen=True)
    base: BaseConfig
    leaf: LeafConfig
    source: str
    # (DNS name, query types that start it) for every game under the base, this one included, sorted: what the
    # zone's query-log filter passes (the Start stack is one per base, whichever game's deploy synthesizes it).
    served: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def dns_name(self) -> str:
        return f"{self.leaf.dns.sub_domain}.{self.base.domain_name}"

    @property
    def notify_channels(self) -> list[NotifyChannel]:
        """The base's channels, then the game's; one listed in both keeps the game's kinds."""
        channels = {(c.channel, c.url_parameter): c for c in [*self.base.notify, *self.leaf.notify]}
        return list(channels.values())


def _shortened(value, limit: int = 80):
    """A value quoted in an error, cut so that one problem stays one line."""
    return value[:limit] + "..." if isinstance(value, str) and len(value) > limit else value


def _format_error(file: Path, error: dict) -> str:
    path = ".".join(str(part) for part in error["loc"] if part not in ("function-after", "function-before"))
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (check its spelling; see the config reference)"
    elif error["type"] == "missing":
        message = "required key is missing"
    elif error["type"] == "string_pattern_mismatch":
        pattern = error["ctx"]["pattern"]
        # A passphrase written where its hash goes is not echoed back to the terminal.
        shown = "the value" if pattern == PASSPHRASE_HASH else repr(_shortened(error["input"]))
        message = f"{shown} is not allowed: expected {PATTERN_HINTS.get(pattern, pattern)}"
    return f"{file}: {path or '(top level)'}: {message}"


def _read_yaml(file: Path) -> dict:
    try:
        data, node = load_yaml(file)
    except InputError as error:
        raise ConfigError([str(error)]) from None
    if data is None:
        raise ConfigError([f"{file}: the file is empty: write its keys (Name, Container, ...), as in examples/"])
    if not isinstance(data, dict):
        raise ConfigError([f"{file}: expected a mapping of keys (Name, Container, ...), got {type(data).__name__}"])
    _environment_as_written(file, data, node)
    return data


def _environment_as_written(file: Path, data: dict, node) -> None:
    """Container.Environment values exactly as the user wrote them: YAML 1.1 would turn `1.20` into 1.2,
    `08:00` into 480 and an empty value into None on their way to the container."""
    written = mapping_child(mapping_child(node, "Container"), "Environment")
    container = data.get("Container")
    if written is None or not isinstance(container, dict) or not isinstance(container.get("Environment"), dict):
        return
    problems, values = [], {}
    for key_node, value_node in written.value:
        text = scalar_as_written(value_node)
        if text is None:
            problems.append(
                f"{file}: Container.Environment.{key_node.value}: not text; write the value in quotes, "
                f'e.g. {key_node.value}: "..." ("" for an empty value)'
            )
        values[key_node.value] = text
    if problems:
        raise ConfigError(problems)
    container["Environment"] = values


def _validate(model: type[BaseModel], file: Path, data: dict) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ConfigError([_format_error(file, e) for e in error.errors()]) from None


def load_config(leaf_file: str | Path) -> NapstackConfig:
    """Load a leaf config and the base config it names; every problem of both is reported at once."""
    leaf_path = Path(leaf_file)
    leaf_data = _read_yaml(leaf_path)
    base_name = leaf_data.get("Base", LeafConfig.model_fields["base"].default)
    base_path = leaf_path.parent / (base_name if isinstance(base_name, str) else "base.yaml")
    problems, models = [], {}
    for key, model, path, data in (
        ("leaf", LeafConfig, leaf_path, lambda: leaf_data),
        ("base", BaseConfig, base_path, lambda: _read_yaml(base_path)),
    ):
        try:
            models[key] = _validate(model, path, data())
        except ConfigError as error:
            problems.extend(error.problems)
    if not problems and len(dns_name := f"{models['leaf'].dns.sub_domain}.{models['base'].domain_name}") > MAX_DNS_NAME:
        problems.append(f"{leaf_path}: Dns.SubDomain: {dns_name[:40]}... is {len(dns_name)} characters; a DNS name has "
                        f"at most {MAX_DNS_NAME}: shorten SubDomain or the base's DomainName")
    if problems:
        raise ConfigError(problems)
    base, leaf = models["base"], models["leaf"]
    zone = leaf.efs.availability_zone
    if zone is not None and (problem := zone_problem(zone, base.leaf_region)):
        raise ConfigError([f"{leaf_path}: Efs.AvailabilityZone: {problem} ({base_path})"])
    served = {f"{leaf.dns.sub_domain}.{base.domain_name}": leaf.lookup_types}
    for other_path, other in _games_beside(leaf_path, base_path):
        name = f"{other.dns.sub_domain}.{base.domain_name}"
        for clash, what in ((other.dns.sub_domain == leaf.dns.sub_domain, f"Dns.SubDomain: {name}"),
                            (other.stack_name == leaf.stack_name, f"Name: stack {leaf.stack_name}")):
            if clash:
                problems.append(f"{leaf_path}: {what} is also {other_path.name}'s under {base_path.name}: only one of "
                                "them would ever run; give each game its own")
        served.setdefault(name, other.lookup_types)
    if base.start_on_lookup and not any(served.values()):
        problems.append(f"{leaf_path}: StartOnLookup is false in every game under {base_path.name}: set StartOnLookup: "
                        f"false in {base_path.name} too, so that no query logging is deployed for nothing")
    if not leaf.start_on_lookup and not (base.status_page.enabled and (
            leaf.status_page.passphrase_hash or base.status_page.passphrase_hash)):
        problems.append(f"{leaf_path}: StartOnLookup: false leaves only the status page's wake button, and it has no "
                        "passphrase (or the page is off): set StatusPage.PassphraseHash (`napstack passphrase`)")
    if problems:
        raise ConfigError(problems)
    return NapstackConfig(base=base, leaf=leaf, source=str(leaf_path), served=tuple(sorted(served.items())))


def _games_beside(leaf_path: Path, base_path: Path) -> list[tuple[Path, LeafConfig]]:
    """The other valid game configs in the leaf's folder that name the same base file (a file that is not a game
    config, or not a valid one, is left to its own `check`)."""
    games = []
    for path in sorted(leaf_path.parent.iterdir()):
        if path.suffix not in (".yaml", ".yml") or path.resolve() in (leaf_path.resolve(), base_path.resolve()):
            continue
        try:
            data = _read_yaml(path)
            if not isinstance(data.get("Dns"), dict):
                continue  # a base file, or not napstack's
            other = _validate(LeafConfig, path, data)
        except ConfigError:
            continue
        if (path.parent / other.base).resolve() == base_path.resolve():
            games.append((path, other))
    return games


def json_schemas() -> dict[str, dict]:
    """The JSON Schemas editors use to complete and check config files, by file name."""
    schemas = {}
    for model, name in ((LeafConfig, SCHEMA_FILE), (BaseConfig, BASE_SCHEMA_FILE)):
        schema = model.model_json_schema(by_alias=True)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schemas[name] = schema
    return schemas

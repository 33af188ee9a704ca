"""What CloudFormation does with a synthesized assembly, for the resource types napstack runs: created in moto.

`EmulatedDeployment(stacks, client).deploy()` creates each resource the state machines, handlers and rules use,
from its template properties, resolved by napstack/emulator/template.py; a resource is created on its first
reference, so dependencies come first as CloudFormation orders them. Roles keep their policies (for
napstack/emulator/iam.py); rules, log subscriptions and Lambda permissions are recorded for the emulated
EventBridge and CloudWatch Logs. Types nothing napstack runs calls (VPC, EFS, backups, security groups) are
not created; a reference to one is a TemplateError naming it.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from botocore.model import ListShape, MapShape, StructureShape

from napstack.assembly import AssemblyError, StackTemplate
from napstack.asl import substitute
from napstack.emulator import log_filter
from napstack.emulator.schedules import Schedule, rate_period
from napstack.emulator.task_parameters import parameter_problems
from napstack.emulator.template import ACCOUNT_ID, Resolver, TemplateError
from napstack.function_modules import shared_modules

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent.parent / "functions"
ECS_DRAINING_HOOK = {  # what ECS adds to the group when a capacity provider with managed draining is created
    "LifecycleHookName": "ecs-managed-draining-termination-hook",
    "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
    "HeartbeatTimeout": 3600,
    "DefaultResult": "CONTINUE",
}
ECS_OPTIMIZED_IMAGES = {"x86_64": "ami-0ec5a0ea1f7b7e0a1", "arm64": "ami-0a9e6c5d0b4e3f2a1"}
# Created at deploy because something runs them or reads them; everything else only when referenced.
DEPLOYED_TYPES = (
    "AWS::SNS::Topic",
    "AWS::SNS::Subscription",
    "AWS::AutoScaling::AutoScalingGroup",
    "AWS::AutoScaling::LifecycleHook",
    "AWS::AutoScaling::WarmPool",
    "AWS::ECS::CapacityProvider",
    "AWS::ECS::Service",
    "AWS::Lambda::Function",
    "AWS::Lambda::Permission",
    "AWS::Lambda::Url",
    "AWS::StepFunctions::StateMachine",
    "AWS::Events::Rule",
    "AWS::Logs::SubscriptionFilter",
    "AWS::Scheduler::Schedule",
    "AWS::IAM::Policy",
    "AWS::Route53::RecordSet",
)


@dataclass
class Physical:
    ref: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class Function:
    name: str
    arn: str
    role_arn: str
    folder: str | None  # functions/<folder>, run in-process; None for code that is not napstack's (CDK's framework)
    environment: dict[str, str]


@dataclass
class FunctionUrl:
    function_name: str
    url: str  # https://<url id>.lambda-url.<region>.on.aws/
    auth_type: str

    @property
    def url_id(self) -> str:
        return self.url.split("//", 1)[1].split(".", 1)[0]


@dataclass
class Rule:
    name: str
    pattern: dict
    targets: list[dict]  # {"Arn": ..., "RoleArn": ...}


@dataclass
class Subscription:
    log_group: str
    pattern: str
    destination_arn: str


@dataclass
class CustomResource:
    stack: StackTemplate
    logical_id: str
    type: str
    function_name: str
    properties: dict
    physical_id: str | None = None


def _short_name(stack: StackTemplate, logical_id: str, limit: int = 64) -> str:
    """The name CloudFormation generates for an unnamed resource: stack, logical id, a suffix unique to the resource
    (nested stacks repeat logical ids)."""
    suffix = hashlib.sha256(f"{stack.path}/{logical_id}".encode()).hexdigest()[:8].upper()
    return f"{stack.top.name}-{logical_id}"[: limit - 9] + f"-{suffix}"


def as_api_request(value, shape, where: str):
    """CloudFormation's casing and types (`"MinSize": "0"`, `PortMappings`) as the API shape wants them."""
    if isinstance(shape, StructureShape):
        members = {name.lower(): name for name in shape.members}
        converted = {}
        for key, item in value.items():
            if key.lower() not in members:
                raise TemplateError(f"{where}: {key} is not a property the emulator can pass to {shape.name}")
            member = members[key.lower()]
            converted[member] = as_api_request(item, shape.members[member], f"{where}.{key}")
        return converted
    if isinstance(shape, ListShape):
        return [as_api_request(item, shape.member, where) for item in value]
    if isinstance(shape, MapShape):
        return {key: as_api_request(item, shape.value, where) for key, item in value.items()}
    if shape.type_name in ("integer", "long"):
        return int(value)
    if shape.type_name == "boolean":
        return value if isinstance(value, bool) else str(value).lower() == "true"
    return value


def _as_custom_resource_properties(value):
    """CloudFormation passes a custom resource's property values as strings."""
    if isinstance(value, dict):
        return {key: _as_custom_resource_properties(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_custom_resource_properties(item) for item in value]
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if isinstance(value, (int, float)) else value


def _depends_on(resource: dict) -> list[str]:
    value = resource.get("DependsOn", [])
    return [value] if isinstance(value, str) else list(value)


def _function_folder(code_asset: Path | None) -> tuple[str | None, list[str]]:
    """Which functions/<folder> the asset was packaged from, and which of that folder's modules differ from the
    asset's copies (edited since the synth). The folder is the one whose app.py is the asset's, or else the one
    whose modules the asset holds (module names are unique across folders); none for code that is not napstack's."""
    if code_asset is None or not (code_asset / "app.py").is_file():
        return None, []
    folders = sorted(f.parent for f in FUNCTIONS_DIR.glob("*/app.py"))
    code = (code_asset / "app.py").read_bytes()
    folder = next((f for f in folders if (f / "app.py").read_bytes() == code), None) or next(
        (f for f in sorted(folders, key=lambda f: -len(list(f.glob("*.py"))))
         if all((code_asset / module.name).is_file() for module in f.glob("*.py"))), None)
    if folder is None:
        return None, []
    modules = [*sorted(folder.glob("*.py")), *shared_modules(folder)]  # and the shared ones bundled beside them
    edited = [module.relative_to(FUNCTIONS_DIR.parent).as_posix() for module in modules
              if not (code_asset / module.name).is_file() or (code_asset / module.name).read_bytes() != module.read_bytes()]
    return folder.name, edited


class EmulatedDeployment:
    def __init__(self, stacks: dict[str, StackTemplate], client: Callable[[str, str], object]) -> None:
        self.stacks = stacks
        self.client = client
        self.resolver = Resolver(stacks, self)
        self._physical: dict[tuple[str, str], Physical] = {}
        self._creating: set[tuple[str, str]] = set()
        self._subnets: dict[str, list[dict]] = {}  # region -> its default subnets, by zone
        self.policies: dict[str, list[dict]] = {}  # role ARN -> its policy documents, resolved
        self.managed_policies: dict[str, list[str]] = {}  # role ARN -> managed policy ARNs (not evaluated)
        self.functions: dict[str, Function] = {}  # by name
        self.state_machines: dict[str, tuple[StackTemplate, str]] = {}  # ARN -> (nested stack, role ARN)
        self.rules: list[Rule] = []
        self.subscriptions: list[Subscription] = []
        self.permissions: list[dict] = []  # Lambda resource policies: FunctionName, Principal, SourceArn
        self.function_urls: list[FunctionUrl] = []  # served by Emulator.open_url (napstack/emulator/function_url.py)
        self.custom_resources: list[CustomResource] = []
        self.hooks: dict[str, list[dict]] = {}  # group name -> its lifecycle hooks
        self.warm_pools: dict[str, dict] = {}  # group name -> its warm pool's settings (PutWarmPool's request)
        self._template_versions: dict[tuple[str, str], str] = {}  # a launch template -> its latest version's fingerprint
        self.edited_since_synth: list[str] = []  # functions/* modules that differ from the assembly's copies
        self._grants: dict[tuple[str, str], list[tuple[str, dict]]] = {}  # a policy resource -> (role ARN, document)
        self.schedules: list[Schedule] = []  # enabled EventBridge Scheduler schedules, run on the simulated clock

    def deploy(self) -> None:
        for top in self.stacks.values():
            for stack in top.walk():
                for logical_id, resource in stack.resources.items():
                    if resource["Type"] in DEPLOYED_TYPES or resource["Type"].startswith("Custom::"):
                        self._get(stack, logical_id)

    def update(self, stacks: dict[str, StackTemplate]) -> None:
        """A stack update, for what napstack changes in place (grants, the launch template and the group's version of
        it, custom resources), in CloudFormation's order: the new template's policies first; a changed launch template
        gets a new version, which the group then names; each custom resource whose properties changed gets an Update,
        and one answered with a new physical id was replaced, so in the clean-up the old one gets a Delete with its
        old properties; only then do the policies the new template dropped go."""
        dropped = [key for key in self._grants if not any(
            stack.path == key[0] and key[1] in stack.resources for top in stacks.values() for stack in top.walk())]
        self.stacks, self.resolver = stacks, Resolver(stacks, self)
        for top in stacks.values():
            for stack in top.walk():
                for logical_id, resource in stack.resources.items():
                    if resource["Type"] == "AWS::IAM::Policy":  # a policy kept is rewritten in place
                        if (stack.path, logical_id) in self._grants:
                            self._revoke((stack.path, logical_id))
                        self._get(stack, logical_id)
        for kind, change in (("AWS::EC2::LaunchTemplate", EmulatedDeployment._new_template_version),
                             ("AWS::AutoScaling::AutoScalingGroup", EmulatedDeployment._group_template)):
            for top in stacks.values():
                for stack in top.walk():
                    for logical_id, resource in stack.resources.items():
                        if resource["Type"] == kind and (stack.path, logical_id) in self._physical:
                            change(self, stack, logical_id, resource["Properties"])
        replaced = []
        for custom in self.custom_resources:
            stack = next(s for top in stacks.values() for s in top.walk() if s.path == custom.stack.path)
            properties = _as_custom_resource_properties(self._resolve(stack, stack.resources[custom.logical_id]["Properties"]))
            if properties == custom.properties:
                continue
            old = CustomResource(custom.stack, custom.logical_id, custom.type, custom.function_name, custom.properties,
                                 custom.physical_id)
            custom.stack, custom.properties = stack, properties
            custom.physical_id = self.send(custom, "Update", old_properties=old.properties).get("PhysicalResourceId") or old.physical_id
            if custom.physical_id != old.physical_id:
                replaced.append(old)
        for old in replaced:
            self.send(old, "Delete")
        for key in dropped:
            self._revoke(key)

    def _revoke(self, policy: tuple[str, str]) -> None:
        for role_arn, document in self._grants.pop(policy):
            self.policies[role_arn].remove(document)
        del self._physical[policy]

    def single(self, within: StackTemplate | None, kind: str) -> Physical:
        """The one resource of `kind` in `within` and its nested stacks (None: in every stack), created."""
        tops = [within] if within is not None else list(self.stacks.values())
        found = [(stack, logical_id) for top in tops for stack in top.walk()
                 for logical_id, resource in stack.resources.items() if resource["Type"] == kind]
        if len(found) != 1:
            where = within.path if within is not None else "the assembly"
            raise TemplateError(f"{where} has {len(found)} resources of type {kind}; the emulator runs exactly one")
        return self._get(*found[0])

    # --- the Resources protocol of the resolver ---------------------------------------------------------------

    def ref(self, stack: StackTemplate, logical_id: str) -> str:
        return self._get(stack, logical_id).ref

    def attribute(self, stack: StackTemplate, logical_id: str, name: str) -> str:
        physical = self._get(stack, logical_id)
        if name not in physical.attributes:
            kind = stack.resources[logical_id]["Type"]
            raise TemplateError(f"{stack.path}: the emulator has no attribute {name} of {kind} {logical_id}")
        return physical.attributes[name]

    def ssm_parameter(self, stack: StackTemplate, name: str) -> str:
        if "/ecs/optimized-ami/" not in name:
            raise TemplateError(f"{stack.path}: the emulator knows no SSM parameter {name}")
        return self._register_ecs_image(stack.region, "arm64" if "arm64" in name else "x86_64")

    # --- creating -------------------------------------------------------------------------------------------

    def _get(self, stack: StackTemplate, logical_id: str) -> Physical:
        key = (stack.path, logical_id)
        if key not in self._physical:
            if key in self._creating:
                raise TemplateError(f"{stack.path}: {logical_id} refers to itself through its properties")
            kind = stack.resources[logical_id]["Type"]
            create = self._CREATE.get(kind) or (EmulatedDeployment._custom if kind.startswith("Custom::") else None)
            if create is None:
                raise TemplateError(
                    f"{stack.path}: {logical_id} is a {kind}, which the emulator does not create "
                    f"(it creates {', '.join(sorted(self._CREATE))} and Custom::*)"
                )
            self._creating.add(key)
            try:
                for dependency in _depends_on(stack.resources[logical_id]):  # CloudFormation's order, e.g. policies first
                    if stack.resources[dependency]["Type"] in self._CREATE:
                        self._get(stack, dependency)
                self._physical[key] = create(self, stack, logical_id, stack.resources[logical_id].get("Properties", {}))
            finally:
                self._creating.discard(key)
        return self._physical[key]

    def _resolve(self, stack: StackTemplate, value):
        return self.resolver.resolve(value, stack)

    def _arn(self, stack: StackTemplate, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{stack.region}:{ACCOUNT_ID}:{resource}"

    def _register_ecs_image(self, region: str, architecture: str) -> str:
        """The ECS-optimized Amazon Linux 2023 image the SSM parameter names (moto's catalogue is not loaded)."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ec2.models import ec2_backends
        from moto.ec2.models.amis import Ami

        image_id = ECS_OPTIMIZED_IMAGES[architecture]
        backend = ec2_backends[DEFAULT_ACCOUNT_ID][region]
        if image_id not in backend.amis:
            name = f"al2023-ami-ecs-hvm-2023.0.20261101-kernel-6.1-{architecture}"
            backend.amis[image_id] = Ami(
                backend, ami_id=image_id, name=name, owner_id="591542846629", architecture=architecture
            )
        return image_id

    def _shape(self, service: str, region: str, operation: str):
        return self.client(service, region).meta.service_model.operation_model(operation).input_shape

    def _role(self, stack, logical_id, properties) -> Physical:
        name = properties.get("RoleName") or _short_name(stack, logical_id)
        arn = self.client("iam", stack.region).create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(self._resolve(stack, properties["AssumeRolePolicyDocument"]))
        )["Role"]["Arn"]
        self.policies[arn] = [self._resolve(stack, p["PolicyDocument"]) for p in properties.get("Policies", [])]
        self.managed_policies[arn] = [str(self._resolve(stack, p)) for p in properties.get("ManagedPolicyArns", [])]
        return Physical(name, {"Arn": arn, "RoleId": name})

    def _policy(self, stack, logical_id, properties) -> Physical:
        document = self._resolve(stack, properties["PolicyDocument"])
        granted = self._grants.setdefault((stack.path, logical_id), [])
        for role in properties.get("Roles", []):
            role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{self._resolve(stack, role)}"
            self.policies[role_arn].append(document)
            granted.append((role_arn, document))
        return Physical(properties["PolicyName"])

    def _record_set(self, stack, logical_id, properties) -> Physical:
        """A static record (the SRV record a game's client asks first), created in the zone as CloudFormation does."""
        name = self._resolve(stack, properties["Name"])
        self.client("route53", "us-east-1").change_resource_record_sets(
            HostedZoneId=self._resolve(stack, properties["HostedZoneId"]),
            ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
                "Name": name, "Type": properties["Type"], "TTL": int(properties["TTL"]),
                "ResourceRecords": [{"Value": self._resolve(stack, v)} for v in properties["ResourceRecords"]]}}]})
        return Physical(name)

    def _topic(self, stack, logical_id, properties) -> Physical:
        name = properties.get("TopicName") or _short_name(stack, logical_id, 256)
        arn = self.client("sns", stack.region).create_topic(Name=name)["TopicArn"]
        return Physical(arn, {"TopicArn": arn, "TopicName": name})

    def _sns_subscription(self, stack, logical_id, properties) -> Physical:
        """A function's subscription, with its filter policy, in moto's SNS (which then invokes the function); an
        e-mail address is only named: nothing reads mail in the emulator."""
        properties = self._resolve(stack, properties)
        if properties["Protocol"] != "lambda":
            return Physical(f"{properties['TopicArn']}:{_short_name(stack, logical_id)}")
        attributes = {"FilterPolicy": json.dumps(properties["FilterPolicy"])} if "FilterPolicy" in properties else {}
        if "FilterPolicyScope" in properties:
            attributes["FilterPolicyScope"] = properties["FilterPolicyScope"]
        arn = self.client("sns", stack.region).subscribe(
            TopicArn=properties["TopicArn"], Protocol="lambda", Endpoint=properties["Endpoint"], Attributes=attributes
        )["SubscriptionArn"]
        return Physical(arn)

    def _subnet(self, stack, logical_id, properties) -> Physical:
        """The base stack's subnets are the region's default ones, in order; a subnet placed in a zone by name or by
        zone ID (a One Zone leaf's) is the default one of that zone, as CloudFormation would place it there."""
        if stack.region not in self._subnets:
            found = self.client("ec2", stack.region).describe_subnets()["Subnets"]
            self._subnets[stack.region] = sorted(found, key=lambda s: s["AvailabilityZone"])
        subnets = self._subnets[stack.region]
        placed = {key: properties[key] for key in ("AvailabilityZone", "AvailabilityZoneId") if isinstance(properties.get(key), str)}
        if placed:
            subnets = [s for s in subnets if all(s[key] == value for key, value in placed.items())]
            if not subnets:
                raise TemplateError(f"{stack.path}: {logical_id} names a zone {stack.region} does not have: {placed}")
            chosen = subnets[0]
        else:
            taken = sum(1 for p in self._physical.values() if p.ref in {s["SubnetId"] for s in subnets})
            chosen = subnets[taken % len(subnets)]
        return Physical(chosen["SubnetId"], {key: chosen[key] for key in ("AvailabilityZone", "AvailabilityZoneId")})

    def _launch_data(self, stack, data: dict) -> dict:
        """Only what moto needs to launch: the rest is the instance's business."""
        return {"ImageId": self._resolve(stack, data["ImageId"]), "InstanceType": self._resolve(stack, data["InstanceType"])}

    def _template_fingerprint(self, stack, data: dict) -> str:
        """What makes CloudFormation give a launch template a new version: its data as written (the user data's text
        and references), and the values of what moto launches with."""
        return json.dumps([data, self._launch_data(stack, data)], sort_keys=True)

    def _launch_template(self, stack, logical_id, properties) -> Physical:
        data = properties["LaunchTemplateData"]
        created = self.client("ec2", stack.region).create_launch_template(
            LaunchTemplateName=properties.get("LaunchTemplateName") or _short_name(stack, logical_id, 128),
            LaunchTemplateData=self._launch_data(stack, data),
        )["LaunchTemplate"]
        version = str(created["LatestVersionNumber"])
        self._template_versions[(stack.path, logical_id)] = self._template_fingerprint(stack, data)
        return Physical(
            created["LaunchTemplateId"], {"LatestVersionNumber": version, "DefaultVersionNumber": version}
        )

    def _new_template_version(self, stack, logical_id, properties) -> None:
        """An update that changes the launch template's data: a new version, the latest (the default stays)."""
        data, key = properties["LaunchTemplateData"], (stack.path, logical_id)
        fingerprint = self._template_fingerprint(stack, data)
        if fingerprint == self._template_versions[key]:
            return
        physical = self._physical[key]
        created = self.client("ec2", stack.region).create_launch_template_version(
            LaunchTemplateId=physical.ref, LaunchTemplateData=self._launch_data(stack, data))["LaunchTemplateVersion"]
        physical.attributes["LatestVersionNumber"] = str(created["VersionNumber"])
        self._template_versions[key] = fingerprint

    def _group_template(self, stack, logical_id, properties) -> None:
        """An update that gives the group another launch template version: instances launched from now on use it;
        those running, or waiting in its warm pool, keep the one they were launched from (as AWS does)."""
        wanted = self._resolve(stack, properties["LaunchTemplate"])
        wanted = {"LaunchTemplateId": wanted["LaunchTemplateId"], "Version": str(wanted["Version"])}
        client, name = self.client("autoscaling", stack.region), self._physical[(stack.path, logical_id)].ref
        (group,) = client.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
        if {key: group.get("LaunchTemplate", {}).get(key) for key in wanted} != wanted:
            client.update_auto_scaling_group(AutoScalingGroupName=name, LaunchTemplate=wanted)

    def _group(self, stack, logical_id, properties) -> Physical:
        properties = self._resolve(stack, properties)
        name = properties.pop("AutoScalingGroupName", None) or _short_name(stack, logical_id, 255)
        subnets = properties.pop("VPCZoneIdentifier", [])
        request = as_api_request(properties, self._shape("autoscaling", stack.region, "CreateAutoScalingGroup"),
                                 f"{stack.path}/{logical_id}")
        request.setdefault("DesiredCapacity", request["MinSize"])
        self.client("autoscaling", stack.region).create_auto_scaling_group(
            AutoScalingGroupName=name, VPCZoneIdentifier=",".join(subnets), **request
        )
        self.hooks[name] = []
        return Physical(name)

    def _put_hook(self, stack: StackTemplate, group: str, hook: dict) -> None:
        request = as_api_request(hook, self._shape("autoscaling", stack.region, "PutLifecycleHook"), f"{stack.path}")
        self.client("autoscaling", stack.region).put_lifecycle_hook(**{**request, "AutoScalingGroupName": group})
        self.hooks[group].append(request)

    def _lifecycle_hook(self, stack, logical_id, properties) -> Physical:
        properties = self._resolve(stack, properties)
        self._put_hook(stack, properties.pop("AutoScalingGroupName"), properties)
        return Physical(properties["LifecycleHookName"])

    def _warm_pool(self, stack, logical_id, properties) -> Physical:
        properties = self._resolve(stack, properties)
        group = properties.pop("AutoScalingGroupName")
        request = as_api_request(properties, self._shape("autoscaling", stack.region, "PutWarmPool"), f"{stack.path}/{logical_id}")
        self.client("autoscaling", stack.region).put_warm_pool(AutoScalingGroupName=group, **request)
        self.warm_pools[group] = request
        return Physical(group)

    def _capacity_provider(self, stack, logical_id, properties) -> Physical:
        provider = self._resolve(stack, properties["AutoScalingGroupProvider"])
        if provider.get("ManagedDraining", "ENABLED") == "ENABLED":  # ENABLED is ECS's default
            self._put_hook(stack, provider["AutoScalingGroupArn"].rsplit("/", 1)[-1], dict(ECS_DRAINING_HOOK))
        return Physical(properties.get("Name") or _short_name(stack, logical_id, 255))

    def _cluster(self, stack, logical_id, properties) -> Physical:
        name = properties.get("ClusterName") or _short_name(stack, logical_id, 255)
        arn = self.client("ecs", stack.region).create_cluster(clusterName=name)["cluster"]["clusterArn"]
        return Physical(name, {"Arn": arn})

    def _task_definition(self, stack, logical_id, properties) -> Physical:
        properties = self._resolve(stack, properties)
        properties.setdefault("Family", _short_name(stack, logical_id, 255))
        request = as_api_request(properties, self._shape("ecs", stack.region, "RegisterTaskDefinition"),
                                 f"{stack.path}/{logical_id}")
        arn = self.client("ecs", stack.region).register_task_definition(**request)["taskDefinition"]["taskDefinitionArn"]
        return Physical(arn, {"TaskDefinitionArn": arn})

    def _service(self, stack, logical_id, properties) -> Physical:
        name = properties.get("ServiceName") or _short_name(stack, logical_id, 255)
        service = self.client("ecs", stack.region).create_service(
            cluster=self._resolve(stack, properties["Cluster"]),
            serviceName=name,
            taskDefinition=self._resolve(stack, properties["TaskDefinition"]),
            desiredCount=int(properties.get("DesiredCount", 0)),
        )["service"]
        return Physical(service["serviceArn"], {"Name": name, "ServiceArn": service["serviceArn"]})

    def _function(self, stack, logical_id, properties) -> Physical:
        name = properties.get("FunctionName") or _short_name(stack, logical_id)
        role_arn = self._resolve(stack, properties["Role"])
        environment = self._resolve(stack, properties.get("Environment", {}).get("Variables", {}))
        code = properties.get("Code", {})
        asset = stack.assets.get(code.get("S3Key", "")) if "S3Key" in code else None
        folder, edited = _function_folder(asset)
        if folder is None and asset is not None and (asset / "app.py").is_file():  # napstack's kind, not CDK's
            raise AssemblyError(f"{stack.path}: {logical_id}'s code is none of this checkout's functions/* (renamed or "
                                "removed since the synth?): replay an assembly synthesized from this checkout")
        self.edited_since_synth.extend(edited)
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("app.py", f"# the emulator runs functions/{folder} in-process\n")
        arn = self.client("lambda", stack.region).create_function(
            FunctionName=name,
            Runtime="python3.12",  # moto's list of runtimes; the template's runtime is Lambda's business
            Role=role_arn,
            Handler=properties["Handler"],
            Code={"ZipFile": archive.getvalue()},
            Timeout=int(properties.get("Timeout", 3)),
            MemorySize=int(properties.get("MemorySize", 128)),
            Environment={"Variables": environment},
        )["FunctionArn"]
        self.functions[name] = Function(name, arn, role_arn, folder, environment)
        return Physical(name, {"Arn": arn})

    def _permission(self, stack, logical_id, properties) -> Physical:
        self.permissions.append(self._resolve(stack, properties))
        return Physical(_short_name(stack, logical_id))

    def _function_url(self, stack, logical_id, properties) -> Physical:
        properties = self._resolve(stack, properties)
        name = properties["TargetFunctionArn"].rsplit(":", 1)[-1]
        created = self.client("lambda", stack.region).create_function_url_config(
            FunctionName=name, AuthType=properties["AuthType"])
        url = created["FunctionUrl"].rstrip("/") + "/"
        self.function_urls.append(FunctionUrl(name, url, properties["AuthType"]))
        return Physical(created["FunctionArn"], {"FunctionUrl": url, "FunctionArn": created["FunctionArn"]})

    def _state_machine(self, stack, logical_id, properties) -> Physical:
        name = properties.get("StateMachineName") or _short_name(stack, logical_id, 80)
        if "DefinitionString" in properties:
            definition = self._resolve(stack, properties["DefinitionString"])
        else:
            key = self._resolve(stack, properties["DefinitionS3Location"]["Key"])
            if key not in stack.assets:
                raise TemplateError(f"{stack.path}: {logical_id}'s definition {key} is not an asset of the assembly")
            definition = stack.assets[key].read_text()
        substitutions = {k: str(v) for k, v in self._resolve(stack, properties.get("DefinitionSubstitutions", {})).items()}
        try:
            definition = substitute(definition, substitutions)
        except ValueError as error:
            raise TemplateError(f"{stack.path}: {logical_id}: {error}") from None
        problems = parameter_problems(json.loads(definition))
        if problems:
            raise TemplateError(f"{stack.path}: {name} would not deploy: InvalidDefinition: SCHEMA_VALIDATION_FAILED: "
                                + "; ".join(problems))
        role_arn = self._resolve(stack, properties["RoleArn"])
        arn = self.client("stepfunctions", stack.region).create_state_machine(
            name=name, definition=definition, roleArn=role_arn
        )["stateMachineArn"]
        self.state_machines[arn] = (stack, role_arn)
        return Physical(arn, {"Arn": arn, "Name": name})

    def _rule(self, stack, logical_id, properties) -> Physical:
        name = properties.get("Name") or _short_name(stack, logical_id)
        if properties.get("State", "ENABLED") == "ENABLED":
            self.rules.append(
                Rule(name, self._resolve(stack, properties["EventPattern"]), self._resolve(stack, properties["Targets"]))
            )
        return Physical(name, {"Arn": self._arn(stack, "events", f"rule/{name}")})

    def _log_group(self, stack, logical_id, properties) -> Physical:
        name = self._resolve(stack, properties.get("LogGroupName")) or f"/napstack/{_short_name(stack, logical_id)}"
        logs = self.client("logs", stack.region)  # Route53's CreateQueryLoggingConfig checks that the group exists
        try:
            logs.create_log_group(logGroupName=name)
        except logs.exceptions.ResourceAlreadyExistsException:
            pass
        return Physical(name, {"Arn": self._arn(stack, "logs", f"log-group:{name}:*")})

    def _subscription(self, stack, logical_id, properties) -> Physical:
        properties = self._resolve(stack, properties)
        try:  # what PutSubscriptionFilter refuses (InvalidParameterException), or a form not emulated
            log_filter.parse(properties["FilterPattern"])
        except log_filter.PatternError as error:
            raise TemplateError(f"{stack.path}: {logical_id}'s FilterPattern: {error}") from None
        self.subscriptions.append(
            Subscription(properties["LogGroupName"], properties["FilterPattern"], properties["DestinationArn"])
        )
        return Physical(properties.get("FilterName") or _short_name(stack, logical_id))

    def _schedule(self, stack, logical_id, properties) -> Physical:
        """Created in moto (which checks the request) and recorded: moto never runs it (napstack/emulator/schedules.py)."""
        properties = self._resolve(stack, properties)
        name = properties.pop("Name", None) or _short_name(stack, logical_id)
        request = as_api_request(properties, self._shape("scheduler", stack.region, "CreateSchedule"),
                                 f"{stack.path}/{logical_id}")
        arn = self.client("scheduler", stack.region).create_schedule(Name=name, **request)["ScheduleArn"]
        if request.get("State", "ENABLED") == "ENABLED":
            target = request["Target"]
            period = rate_period(request["ScheduleExpression"], f"{stack.path}/{logical_id}")
            self.schedules.append(Schedule(name, period, target["Arn"], target["RoleArn"], target.get("Input", "{}")))
        return Physical(name, {"Arn": arn})

    def _file_system(self, stack, logical_id, properties) -> Physical:
        """Named, not created: the task definition names it; nothing napstack runs calls EFS."""
        file_system = "fs-" + hashlib.sha256(f"{stack.path}/{logical_id}".encode()).hexdigest()[:8]
        return Physical(file_system, {"FileSystemId": file_system,
                                      "Arn": self._arn(stack, "elasticfilesystem", f"file-system/{file_system}")})

    def _access_point(self, stack, logical_id, properties) -> Physical:
        """Named, not created, as the file system."""
        access_point = "fsap-" + hashlib.sha256(f"{stack.path}/{logical_id}".encode()).hexdigest()[:17]
        return Physical(access_point, {"AccessPointId": access_point,
                                       "Arn": self._arn(stack, "elasticfilesystem", f"access-point/{access_point}")})

    def _custom(self, stack, logical_id, properties) -> Physical:
        """A custom resource's Create, sent to the function behind its provider, as CloudFormation sends it."""
        properties = _as_custom_resource_properties(self._resolve(stack, properties))
        token = properties["ServiceToken"].rsplit(":", 1)[-1]
        function = self.functions.get(token)
        if function is not None and function.folder is None:  # CDK's provider framework calls the user's function
            token = function.environment.get("USER_ON_EVENT_FUNCTION_ARN", "").rsplit(":", 1)[-1]
            function = self.functions.get(token)
        if function is None or function.folder is None:
            raise TemplateError(f"{stack.path}: {logical_id}'s provider runs no napstack function the emulator can run")
        custom = CustomResource(stack, logical_id, stack.resources[logical_id]["Type"], function.name, properties)
        custom.physical_id = self.send(custom, "Create").get("PhysicalResourceId") or _short_name(stack, logical_id)
        self.custom_resources.append(custom)
        return Physical(custom.physical_id)

    def send(self, custom: CustomResource, request_type: str, old_properties: dict | None = None) -> dict:
        """Invoke the custom resource's function with a CloudFormation request; its answer, or an error."""
        request = {
            "RequestType": request_type,
            "ServiceToken": custom.properties["ServiceToken"],
            "ResponseURL": "https://cloudformation-custom-resource-response.invalid/",
            "StackId": f"arn:aws:cloudformation:{custom.stack.region}:{ACCOUNT_ID}:stack/{custom.stack.top.name}/emulated",
            "RequestId": str(uuid.uuid4()),
            "LogicalResourceId": custom.logical_id,
            "ResourceType": custom.type,
            "ResourceProperties": custom.properties,
            **({"PhysicalResourceId": custom.physical_id} if request_type != "Create" else {}),
            **({"OldResourceProperties": old_properties} if request_type == "Update" else {}),
        }
        response = self.client("lambda", custom.stack.region).invoke(
            FunctionName=custom.function_name, Payload=json.dumps(request)
        )
        payload = json.loads(response["Payload"].read() or "null")
        if response.get("FunctionError"):
            raise TemplateError(f"{custom.stack.path}: {custom.logical_id}'s {request_type} failed: {payload}")
        return payload or {}

    _CREATE = {
        "AWS::IAM::Role": _role,
        "AWS::IAM::Policy": _policy,
        "AWS::SNS::Topic": _topic,
        "AWS::SNS::Subscription": _sns_subscription,
        "AWS::EC2::Subnet": _subnet,
        "AWS::EC2::LaunchTemplate": _launch_template,
        "AWS::AutoScaling::AutoScalingGroup": _group,
        "AWS::AutoScaling::LifecycleHook": _lifecycle_hook,
        "AWS::AutoScaling::WarmPool": _warm_pool,
        "AWS::ECS::CapacityProvider": _capacity_provider,
        "AWS::ECS::Cluster": _cluster,
        "AWS::ECS::TaskDefinition": _task_definition,
        "AWS::ECS::Service": _service,
        "AWS::Lambda::Function": _function,
        "AWS::Lambda::Permission": _permission,
        "AWS::Lambda::Url": _function_url,
        "AWS::StepFunctions::StateMachine": _state_machine,
        "AWS::Events::Rule": _rule,
        "AWS::Logs::LogGroup": _log_group,
        "AWS::EFS::FileSystem": _file_system,
        "AWS::EFS::AccessPoint": _access_point,
        "AWS::Logs::SubscriptionFilter": _subscription,
        "AWS::Scheduler::Schedule": _schedule,
        "AWS::Route53::RecordSet": _record_set,
    }

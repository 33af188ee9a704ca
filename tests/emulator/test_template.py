"""The intrinsic resolver and the IAM evaluator, without moto: what they support, and the named errors for the rest."""

import pytest
from moto.iam.access_control import PermissionResult

from napstack.assembly import StackTemplate
from napstack.emulator.deploy import EmulatedDeployment
from napstack.emulator.iam import Target, Unevaluable, _decision
from napstack.emulator.template import Resolver, TemplateError


class Named:
    """Resources whose Ref and attributes say which they are."""

    def ref(self, stack, logical_id):
        return f"{stack.name}:{logical_id}"

    def attribute(self, stack, logical_id, name):
        return f"{stack.name}:{logical_id}.{name}"

    def ssm_parameter(self, stack, name):
        return f"ssm({name})"


def stacks():
    base = StackTemplate("Base", {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"TopicOut": {"Value": {"Ref": "Topic"}, "Export": {"Name": "Base:Topic"}}},
    }, region="eu-west-1")
    leaf = StackTemplate("Leaf", {
        "Parameters": {"Image": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": "/aws/ami"}},
        "Resources": {
            "ProducerStack": {"Type": "AWS::CloudFormation::Stack", "Properties": {}},
            "ConsumerStack": {"Type": "AWS::CloudFormation::Stack", "Properties": {
                "Parameters": {"GroupName": {"Fn::GetAtt": ["ProducerStack", "Outputs.GroupOut"]}}}},
            "Function": {"Type": "AWS::Lambda::Function"},
        },
    }, region="eu-west-1")
    producer = StackTemplate("Producer", {
        "Resources": {"Group": {"Type": "AWS::AutoScaling::AutoScalingGroup"}},
        "Outputs": {"GroupOut": {"Value": {"Ref": "Group"}}},
    }, region="eu-west-1", logical_id="ProducerStack", parent=leaf)
    consumer = StackTemplate("Consumer", {
        "Parameters": {"GroupName": {"Type": "String"}},
        "Resources": {"Rule": {"Type": "AWS::Events::Rule"}, "Vpc": {"Type": "AWS::EC2::VPC"}},
    }, region="eu-west-1", logical_id="ConsumerStack", parent=leaf)
    leaf.nested = {"Producer": producer, "Consumer": consumer}
    return {"Base": base, "Leaf": leaf}


@pytest.fixture
def resolver():
    all_stacks = stacks()
    return Resolver(all_stacks, Named()), all_stacks["Leaf"]


@pytest.mark.parametrize("value, expected", [
    ({"Ref": "AWS::Region"}, "eu-west-1"),
    ({"Ref": "Function"}, "Leaf:Function"),
    ({"Fn::GetAtt": ["Function", "Arn"]}, "Leaf:Function.Arn"),
    ({"Fn::GetAtt": "Function.Arn"}, "Leaf:Function.Arn"),
    ({"Fn::Sub": "arn:${AWS::Partition}:x:${AWS::Region}:${AWS::AccountId}:${Function}/${Function.Arn}/${!Literal}"},
     "arn:aws:x:eu-west-1:123456789012:Leaf:Function/Leaf:Function.Arn/${Literal}"),
    ({"Fn::Sub": ["${A}-${Function}", {"A": {"Ref": "AWS::StackName"}}]}, "Leaf-Leaf:Function"),
    ({"Fn::Join": ["/", ["a", {"Ref": "Function"}, "b"]]}, "a/Leaf:Function/b"),
    ({"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]}, "y"),
    ({"Fn::ImportValue": "Base:Topic"}, "Base:Topic"),
    ({"Ref": "Image"}, "ssm(/aws/ami)"),
    ({"Fn::GetAtt": ["ProducerStack", "Outputs.GroupOut"]}, "Producer:Group"),
    ({"A": {"Ref": "AWS::NoValue"}, "B": [1, {"Ref": "AWS::NoValue"}]}, {"B": [1]}),
])
def test_the_resolver_resolves_what_napstacks_templates_use(resolver, value, expected):
    resolver, leaf = resolver
    assert resolver.resolve(value, leaf) == expected


def test_a_nested_stacks_parameter_is_what_its_parent_passes(resolver):
    resolver, leaf = resolver
    assert resolver.resolve({"Ref": "GroupName"}, leaf.nested["Consumer"]) == "Producer:Group"


@pytest.mark.parametrize("value, message", [
    ({"Fn::If": ["C", 1, 2]}, "Leaf: the emulator cannot resolve Fn::If"),
    ({"Ref": "Nothing"}, "Leaf: Ref to Nothing, which is no parameter or resource"),
    ({"Fn::ImportValue": "Base:Missing"}, "Fn::ImportValue of Base:Missing, which no stack of the assembly exports"),
    ({"Fn::GetAtt": ["ProducerStack", "Outputs.Missing"]}, "which the nested stack does not output"),
    ({"Fn::GetAtt": ["Missing", "Arn"]}, "Fn::GetAtt of Missing, which is no resource"),
])
def test_what_the_resolver_cannot_resolve_is_a_named_error(resolver, value, message):
    resolver, leaf = resolver
    with pytest.raises(TemplateError, match=message.replace("(", r"\(")):
        resolver.resolve(value, leaf)


def test_a_reference_to_a_resource_type_the_emulator_does_not_create_names_it():
    all_stacks = stacks()
    deployment = EmulatedDeployment(all_stacks, client=None)
    with pytest.raises(TemplateError, match="Leaf/Consumer: Vpc is a AWS::EC2::VPC, which the emulator does not create"):
        deployment.resolver.resolve({"Ref": "Vpc"}, all_stacks["Leaf"].nested["Consumer"])


# --- IAM -------------------------------------------------------------------------------------------------------

GROUP = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:abc:autoScalingGroupName/Napstack-X"


def allow(action, resource, condition=None):
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return {"Statement": [{**statement, "Condition": condition}] if condition else [statement]}


@pytest.mark.parametrize("documents, action, target, expected", [
    ([allow("autoscaling:SetDesiredCapacity", "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/Napstack-X")],
     "autoscaling:SetDesiredCapacity", Target(GROUP), PermissionResult.PERMITTED),
    ([allow("autoscaling:SetDesiredCapacity", "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/Napstack-Y")],
     "autoscaling:SetDesiredCapacity", Target(GROUP), PermissionResult.NEUTRAL),
    ([allow("autoscaling:*", "*"), {"Statement": [{"Effect": "Deny", "Action": "autoscaling:SetDesiredCapacity", "Resource": "*"}]}],
     "autoscaling:SetDesiredCapacity", Target(GROUP), PermissionResult.DENIED),
    ([allow("autoscaling:SetDesiredCapacity", "*", {"StringLike": {"autoscaling:ResourceTag/napstack:dns-name": "*"}})],
     "autoscaling:SetDesiredCapacity", Target(GROUP, {"autoscaling:ResourceTag/napstack:dns-name": ["mc.example.com"]}),
     PermissionResult.PERMITTED),
    ([allow("route53:ChangeResourceRecordSets", "*", {"ForAllValues:StringEquals": {
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["mc.example.com"]}})],
     "route53:ChangeResourceRecordSets",
     Target("arn:aws:route53:::hostedzone/Z1", {"route53:ChangeResourceRecordSetsNormalizedRecordNames": ["mc.example.com", "x.example.com"]}),
     PermissionResult.NEUTRAL),
])
def test_policies_decide_as_iam_does(documents, action, target, expected):
    assert _decision(documents, action, target) == expected


@pytest.mark.parametrize("condition, what", [
    ({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, "condition operator NumericLessThan"),
    ({"StringEquals": {"aws:SourceVpc": "vpc-1"}}, "condition key aws:SourceVpc"),
])
def test_a_condition_the_emulator_cannot_evaluate_is_reported_not_ignored(condition, what):
    with pytest.raises(Unevaluable, match=what):
        _decision([allow("sns:Publish", "*", condition)], "sns:Publish", Target("arn:aws:sns:us-east-1:123456789012:t"))


def test_condition_key_names_match_whatever_their_case_as_in_iam():
    """CDK writes `ssm:resourceTag/...`; IAM ignores the case of condition key names."""
    statement = allow("ssm:SendCommand", "*", {"StringEquals": {"ssm:resourceTag/aws:autoscaling:groupName": "Napstack-X"}})
    target = Target("arn:aws:ec2:us-east-1:123456789012:instance/i-1", {"ssm:ResourceTag/aws:autoscaling:groupName": ["Napstack-X"]})
    assert _decision([statement], "ssm:SendCommand", target) == PermissionResult.PERMITTED

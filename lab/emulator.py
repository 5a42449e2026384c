#!/usr/bin/env python3
"""The lab's AWS API emulator: one moto server process, stopped and reset on demand.

    emulator.py start [--bind ADDR ...] [--port N]   start it in the background (idempotent)
    emulator.py stop                                  stop it
    emulator.py reset                                 clear every emulated resource
    emulator.py url                                   print the endpoint for the controller

It listens on 127.0.0.1 and, when containers must reach it, on the lab network's
gateway address as well: never on every interface. All listeners share one process,
so they share one emulated account.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lab.background import Service  # noqa: E402  (the checkout's root first, also when run as a script)

STATE_DIR = Path(os.environ.get("LAB_STATE_DIR", Path(__file__).resolve().parent.parent / ".lab"))
PID_FILE = STATE_DIR / "emulator.pid"
LOG_FILE = STATE_DIR / "emulator.log"
DEFAULT_PORT = int(os.environ.get("LAB_EMULATOR_PORT", "5000"))
START_TIMEOUT_S = 30


def url(port: int = DEFAULT_PORT) -> str:
    return f"http://127.0.0.1:{port}"


def _answers(port: int) -> bool:
    # Not /moto-api/data.json: once an RDS instance exists moto 5.2.5 fails to serialise it
    # (500, "write only property"), and a running emulator looked dead to a second `start`.
    try:
        with urllib.request.urlopen(f"{url(port)}/moto-api/", timeout=2):
            return True
    except (urllib.error.URLError, OSError):
        return False


def _service(port: int = DEFAULT_PORT) -> Service:
    return Service("emulator.py", PID_FILE, LOG_FILE, lambda: _answers(port), START_TIMEOUT_S)


def patch_moto_gaps() -> None:
    """Work around emulator gaps that would otherwise break the roles' re-runs.

    Each patch makes moto answer as AWS does; none changes what a role sends.
    """
    from moto.cloudtrail.models import CloudTrailBackend

    # DeleteTrail takes a name or an ARN (amazon.aws.cloudtrail sends the ARN); moto matched names only,
    # so the trail stayed and every later teardown deleted it again.
    delete_trail = CloudTrailBackend.delete_trail

    def delete_trail_by_name_or_arn(self, name):
        for trail_name, trail in list(self.trails.items()):
            if name in (trail_name, trail.arn):
                return delete_trail(self, trail_name)
        return delete_trail(self, name)

    CloudTrailBackend.delete_trail = delete_trail_by_name_or_arn
    from moto.autoscaling.responses import AutoScalingResponse
    from moto.ec2.responses.launch_templates import LaunchTemplates
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.rds.models import DBInstance
    from moto.s3.models import FakeBucket

    # moto 5.2.5 evaluates only StringEquals conditions in bucket policies, so the
    # deployment bucket's "deny when aws:SecureTransport is false" statement denies every
    # request (HeadObject: 403). AWS requests over TLS never match it: drop it here.
    def bucket_permission(self, action, resource):
        if self.policy is None:
            return PermissionResult.NEUTRAL
        doc = json.loads(self.policy)
        statements = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
        kept = [s for s in statements
                if str(s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport", "")).lower() != "false"]
        if not kept:
            return PermissionResult.NEUTRAL
        doc["Statement"] = kept
        return IAMPolicy(json.dumps(doc)).is_action_permitted(action, resource)

    FakeBucket.get_permission = bucket_permission

    # A gp3 instance created without Iops/StorageThroughput is described without them,
    # where AWS returns the baseline (3000 IOPS, 125 MiB/s); rds_instance then fails on
    # every re-run with KeyError 'StorageThroughput'.
    db_init = DBInstance.__init__

    def db_init_with_gp3_baseline(self, *args, **kwargs):
        db_init(self, *args, **kwargs)
        if self.storage_type == "gp3":
            self.iops = self.iops or 3000
            self.storage_throughput = self.storage_throughput or 125

    DBInstance.__init__ = db_init_with_gp3_baseline

    # CreateLaunchTemplate copies the template's own tags (ResourceType launch-template)
    # into version 1's data; EC2 does not, so ec2_launch_template adds a version 2 on the
    # first re-run.
    create_launch_template = LaunchTemplates.create_launch_template

    def create_launch_template_without_own_tags(self):
        result = create_launch_template(self)
        template = self.ec2_backend.get_launch_template_by_name(self._get_param("LaunchTemplateName"))
        data = template.versions[0].data
        specs = [spec for spec in data.get("TagSpecifications", []) if spec.get("ResourceType") != "launch-template"]
        if specs:
            data["TagSpecifications"] = specs
        else:
            data.pop("TagSpecifications", None)
        return result

    LaunchTemplates.create_launch_template = create_launch_template_without_own_tags

    # UpdateAutoScalingGroup ignores InstanceMaintenancePolicy, so DescribeAutoScalingGroups
    # never returns it and aws_nodes re-applies it on every run. Store it on the group (the
    # serializer picks up instance_maintenance_policy); -1/-1 clears it, as on AWS.
    update_auto_scaling_group = AutoScalingResponse.update_auto_scaling_group

    def update_auto_scaling_group_with_maintenance_policy(self):
        result = update_auto_scaling_group(self)
        policy = self._get_param("InstanceMaintenancePolicy")
        if policy:
            group = self.autoscaling_backend.autoscaling_groups[self._get_param("AutoScalingGroupName")]
            wanted = {key: int(policy[key]) for key in ("MinHealthyPercentage", "MaxHealthyPercentage") if key in policy}
            cleared = wanted.get("MinHealthyPercentage") == -1 and wanted.get("MaxHealthyPercentage") == -1
            group.instance_maintenance_policy = None if cleared else wanted
        return result

    AutoScalingResponse.update_auto_scaling_group = update_auto_scaling_group_with_maintenance_policy

    # DescribeDBParameterGroups naming a group that does not exist answers an empty list where
    # AWS answers DBParameterGroupNotFound; rds_instance_param_group then fails with IndexError.
    # And a new group lists only the parameters set in it, where AWS lists every parameter of
    # the family with its default: the module refuses to set one it does not see listed.
    from moto.rds.exceptions import DBParameterGroupNotFoundError
    from moto.rds.models import DBParameterGroup, RDSBackend

    describe_groups = RDSBackend.describe_db_parameter_groups

    # The response hands the request's own keys (DBParameterGroupName), the backend filters on
    # db_parameter_group_name: every group was listed whatever the name asked for.
    def describe_groups_or_not_found(self, kwargs):
        name = kwargs.get("db_parameter_group_name") or kwargs.get("DBParameterGroupName")
        found = describe_groups(self, {"db_parameter_group_name": name})
        if name and not found:
            raise DBParameterGroupNotFoundError(name)
        return found

    RDSBackend.describe_db_parameter_groups = describe_groups_or_not_found

    # CreateDBInstance without PubliclyAccessible, in a subnet group whose VPC has an internet gateway (the
    # estate's has one, for its load balancers), makes a public instance on AWS (CreateDBInstance, "Default");
    # moto made it private whatever was sent, so a role that forgot the setting looked private here.
    from moto.ec2.models import ec2_backends

    create_db_instance = RDSBackend.create_db_instance

    def create_db_instance_public_by_default(self, db_kwargs):
        group = self.subnet_groups.get(db_kwargs.get("db_subnet_group_name") or "")
        if db_kwargs.get("publicly_accessible") is None and group is not None:
            gateways = ec2_backends[self.account_id][self.region_name].internet_gateways.values()
            db_kwargs["publicly_accessible"] = any(g.vpc is not None and g.vpc.id == group.vpc_id for g in gateways)
        return create_db_instance(self, db_kwargs)

    RDSBackend.create_db_instance = create_db_instance_public_by_default

    group_init = DBParameterGroup.__init__

    def group_init_with_engine_defaults(self, *args, **kwargs):
        group_init(self, *args, **kwargs)
        for name, facts in _ENGINE_PARAMETERS.items():
            self.parameters[name] = {"ParameterName": name, "Source": "engine-default", "IsModifiable": True, **facts}

    DBParameterGroup.__init__ = group_init_with_engine_defaults

    # CreateFlowLogs to S3 looks up everything after "arn:aws:s3:::" as the bucket name, so a
    # destination with a key prefix (arn:aws:s3:::bucket/prefix, which AWS accepts) is refused
    # as a missing bucket. Check the bucket alone, keep the destination as it was asked.
    from moto.ec2.models.flow_logs import FlowLogsBackend

    create_flow_logs = FlowLogsBackend.create_flow_logs

    def create_flow_logs_with_prefix(self, resource_type, resource_ids, traffic_type, deliver_logs_permission_arn,
                                     log_destination_type, log_destination, *args, **kwargs):
        bucket_only = log_destination
        if log_destination_type == "s3" and log_destination and "/" in log_destination.split(":::", 1)[-1]:
            bucket_only = log_destination.split("/", 1)[0]
        created, unsuccessful = create_flow_logs(self, resource_type, resource_ids, traffic_type,
                                                 deliver_logs_permission_arn, log_destination_type, bucket_only,
                                                 *args, **kwargs)
        for flow_log in created:
            flow_log.log_destination = log_destination
        return created, unsuccessful

    FlowLogsBackend.create_flow_logs = create_flow_logs_with_prefix

    # A bucket's default retention is in Days or in Years, and AWS describes only the one that is set; moto
    # describes both ("Days": 1, "Years": 0), so s3_bucket saw a difference and put the same lock again on every
    # provision re-run. Describe only the one set (the backend's reading serves GetObjectLockConfiguration alone).
    from moto.s3.models import S3Backend

    read_lock = S3Backend.get_object_lock_configuration

    def object_lock_configuration_as_aws(self, bucket_name):
        enabled, mode, days, years = read_lock(self, bucket_name)
        return enabled, mode, days or None, years or None

    S3Backend.get_object_lock_configuration = object_lock_configuration_as_aws

    patch_iam_evaluation()


# The engine parameters the suite sets, as DescribeDBParameters lists them before any change
# (their defaults in the families the suite uses).
_ENGINE_PARAMETERS = {
    "rds.force_ssl": {"DataType": "boolean", "ApplyType": "dynamic", "AllowedValues": "0,1"},
}


# S3 requests moto names after its own operations, by the IAM action AWS checks for them
# (Amazon S3 User Guide, "Policy actions for Amazon S3"): a policy that works here must name
# the action AWS wants. Keys are moto's ACTION_MAP (resource type, method, query parameter).
_S3_IAM_ACTIONS = {
    ("BUCKET", "HEAD", "DEFAULT"): "ListBucket",
    ("BUCKET", "GET", "ownershipControls"): "GetBucketOwnershipControls",
    ("BUCKET", "GET", "encryption"): "GetEncryptionConfiguration",
    ("BUCKET", "GET", "publicAccessBlock"): "GetBucketPublicAccessBlock",
    ("BUCKET", "GET", "object-lock"): "GetBucketObjectLockConfiguration",
    ("BUCKET", "PUT", "object-lock"): "PutBucketObjectLockConfiguration",
    ("BUCKET", "GET", "requestPayment"): "GetBucketRequestPayment",
    ("BUCKET", "GET", "intelligent-tiering"): "GetIntelligentTieringConfiguration",
    ("BUCKET", "PUT", "ownershipControls"): "PutBucketOwnershipControls",
    ("BUCKET", "PUT", "encryption"): "PutEncryptionConfiguration",
    ("BUCKET", "PUT", "publicAccessBlock"): "PutBucketPublicAccessBlock",
    ("BUCKET", "DELETE", "ownershipControls"): "PutBucketOwnershipControls",
    ("BUCKET", "DELETE", "encryption"): "PutEncryptionConfiguration",
    ("BUCKET", "DELETE", "publicAccessBlock"): "PutBucketPublicAccessBlock",
}

# Every request moto authorised (or would have, before enforcement starts), in order:
# {seq, identity, action, resource, outcome}. Tests read it in process; the lab's server
# appends each one as a JSON line to $LAB_EMULATOR_RECORD when that is set.
RECORDED_CALLS: list[dict] = []


def patch_iam_evaluation() -> None:
    """Close the gaps of moto's IAM evaluator that would make a correct policy fail.

    moto 5.2.5 (moto/iam/access_control.py, moto/core/authorization.py) checks IAM only once
    INITIAL_NO_AUTH_ACTION_COUNT requests have passed. It evaluates the identity's inline and
    attached policies (no permissions boundary, no SCP, no resource policy but the S3 bucket
    policy), matches Action and NotAction with wildcards, and a Resource only where it knows the
    request's resource: S3 buckets and objects, IAM roles, sts:AssumeRole. Everywhere else it
    compares the policy's Resource with "*", which only "*" matches. Conditions are evaluated only
    for StringEquals on sts:AssumeRole's own parameters; every other condition counts as met, so an
    Allow with a condition allows and a Deny with a condition denies, whatever the request.
    iam:PassRole, which AWS checks inside other calls (RunInstances, CreateAutoScalingGroup), is
    never checked.
    """
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, IAMRequestBase, PermissionResult
    from moto.iam.responses import IamResponse as IAMResponse
    from moto.s3 import responses as s3_responses
    from moto.secretsmanager.responses import SecretsManagerResponse

    for (kind, method, query), action in _S3_IAM_ACTIONS.items():
        s3_responses.ACTION_MAP[kind][method][query] = action

    # moto names the action after the service's signing name; IAM's prefix differs for CloudWatch
    # (signed as "monitoring", authorised as "cloudwatch:DescribeAlarms").
    request_init = IAMRequestBase.__init__

    def request_init_with_iam_prefix(self, *args, **kwargs):
        request_init(self, *args, **kwargs)
        service, _, action = self._action.partition(":")
        self._action = f"{_SIGNING_TO_IAM.get(service, service)}:{action}"

    IAMRequestBase.__init__ = request_init_with_iam_prefix

    # The request's resource unknown to moto ("*"): an Allow matches whatever its Resource, a Deny
    # only when it names every resource, so the emulator checks the action there and errs on the
    # permissive side; the resources are left to the static checks.
    check_element = IAMPolicyStatement._check_element_matches

    def check_element_matches(self, statement_element, value):
        if statement_element in ("Resource", "NotResource") and value == "*":
            if self._statement.get("Effect") == "Allow":
                return statement_element == "Resource"
            return check_element(self, statement_element, value)
        return check_element(self, statement_element, value)

    IAMPolicyStatement._check_element_matches = check_element_matches

    # IAM names a role or instance profile only once it exists (CreateRole is checked against
    # "*"): name it from the request as AWS does, so that a policy scoped to the estate's roles
    # is checked on creation too.
    determine_resource = IAMResponse._determine_resource

    def determine_iam_resource(self):
        known = determine_resource(self)
        if known != "*":
            return known
        prefix = f"arn:{self.partition}:iam::{self.current_account}:"
        for parameter, kind in (("InstanceProfileName", "instance-profile"), ("RoleName", "role"), ("PolicyArn", None)):
            value = self.data.get(parameter)
            if value:
                value = value[0] if isinstance(value, list) else value
                return value if kind is None else f"{prefix}{kind}/{value}"
        return known

    IAMResponse._determine_resource = determine_iam_resource

    # Secrets Manager calls are checked against "*" as well: name the secret, by its ARN, so that
    # a policy naming secrets (the node role's, its boundary's denial of the master secret) is
    # checked for real. A secret that does not exist yet (CreateSecret) stays "*".
    def determine_secret(self):
        try:
            secret_id = json.loads(self.body or "{}").get("SecretId") or json.loads(self.body or "{}").get("Name")
            secret = self.backend.secrets.get(secret_id) if secret_id else None
        except (ValueError, AttributeError):
            secret = None
        return secret.arn if secret is not None else "*"

    SecretsManagerResponse._determine_resource = determine_secret

    # moto turns a policy's * into .* and hands the rest to re as it is: the IAM wildcard ?
    # (a Secrets Manager ARN's -?????? suffix) and the dots of names are taken as regex syntax,
    # and ?????? crashes the server (re.error: multiple repeat). Matched as IAM matches instead.
    def match_iam_wildcards(pattern, string):
        regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
        return re.match(f"^{regex}$", string)

    IAMPolicyStatement._match = staticmethod(match_iam_wildcards)

    # A role's permissions boundary caps what its policies grant (IAM User Guide, "Permissions
    # boundaries for IAM entities"); moto ignores it. Evaluated here for the roles the suite
    # creates, so that a boundary that misses an action the node needs fails a test.
    check_action_permitted = IAMRequestBase.check_action_permitted

    def check_action_permitted_within_boundary(self, resource):
        check_action_permitted(self, resource)
        role_name = getattr(self._access_key, "_owner_role_name", None)
        if role_name is None or self._action == "sts:GetCallerIdentity":
            return
        role = self.backend.get_role(role_name)
        if role.permissions_boundary_arn:
            boundary = IAMPolicy(self.backend.get_policy(role.permissions_boundary_arn))
            if boundary.is_action_permitted(self._action, resource) != PermissionResult.PERMITTED:
                self._raise_access_denied()

    IAMRequestBase.check_action_permitted = check_action_permitted_within_boundary

    # moto recomputes the SigV4 signature of some REST requests differently from botocore
    # (Route 53: SignatureDoesNotMatch for a correctly signed ListHostedZones). The identity still
    # comes from the access key, and the policies are what is tested, not the signing.
    IAMRequestBase.check_signature = lambda self: None

    authorize = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authorize_and_record(self, iam_request_cls, resource="*"):
        from moto import settings

        checked = ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT
        call = {"seq": len(RECORDED_CALLS), "identity": _identity(self), "action": _iam_action(self),
                "resource": resource, "outcome": "allowed" if checked else "unchecked"}
        try:
            authorize(self, iam_request_cls, resource)
        except Exception as refusal:
            denial = "AccessDenied" in type(refusal).__name__ or "AccessDenied" in str(getattr(refusal, "code", ""))
            call["outcome"] = "denied" if denial else f"error: {type(refusal).__name__}"
            raise
        finally:
            RECORDED_CALLS.append(call)
            sink = os.environ.get("LAB_EMULATOR_RECORD")
            if sink:
                with open(sink, "a", encoding="utf-8") as record:
                    record.write(json.dumps(call) + "\n")

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authorize_and_record


def _credential_scope(response) -> list[str]:
    """[access key, date, region, service, aws4_request] of a SigV4 request, [] when unsigned."""
    header = response.headers.get("Authorization") or ""
    return header.partition("Credential=")[2].partition(",")[0].split("/") if "Credential=" in header else []


# Signing names whose IAM action prefix differs.
_SIGNING_TO_IAM = {"monitoring": "cloudwatch"}


def _iam_action(response) -> str:
    scope = _credential_scope(response)
    service = scope[3] if len(scope) > 3 else getattr(response, "service_name", "?")
    service = _SIGNING_TO_IAM.get(service, service)
    try:
        action = response._get_action()
    except Exception:  # a request moto cannot route: recorded as such
        action = None
    return f"{service}:{action[0] if isinstance(action, list) else action}"


def _identity(response) -> str:
    """The IAM user or role (role/<name>) behind the request's access key, else the key itself."""
    scope = _credential_scope(response)
    if not scope:
        return "unsigned"
    key = scope[0]
    try:
        from moto.iam.models import iam_backends
        from moto.sts.models import sts_backends

        account = response.current_account
        for partition in iam_backends[account]:
            for user in iam_backends[account][partition].users.values():
                if any(k.access_key_id == key for k in user.access_keys):
                    return user.name
            for role in sts_backends[account][partition].assumed_roles:
                if role.access_key_id == key:
                    return "role/" + role.role_arn.split("/")[-1]
    except Exception:  # identity lookup is best effort: the key is still recorded
        pass
    return key


def serve(binds: list[str], port: int) -> None:
    """Run moto in this process, one threaded server per address, until SIGTERM."""
    from moto.server import ThreadedMotoServer

    patch_moto_gaps()
    servers = [ThreadedMotoServer(ip_address=addr, port=port, verbose=False) for addr in binds]
    for server in servers:
        server.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        signal.pause()
    finally:
        for server in servers:
            server.stop()


def start(binds: list[str], port: int) -> bool:
    """Start the emulator in the background; return False when it already runs."""
    return _service(port).start(
        [sys.executable, __file__, "serve", "--port", str(port), *sum((["--bind", b] for b in binds), [])],
        what=f"moto on {url(port)}")


def stop() -> bool:
    """Stop the emulator; return False when it was not running."""
    return _service().stop()


def reset(port: int = DEFAULT_PORT) -> None:
    request = urllib.request.Request(f"{url(port)}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["start", "stop", "reset", "url", "serve"])
    parser.add_argument("--bind", action="append", help="address to listen on (repeatable; default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args()
    binds = args.bind or ["127.0.0.1"]
    if args.action == "serve":
        serve(binds, args.port)
    elif args.action == "start":
        print("started" if start(binds, args.port) else "already running")
    elif args.action == "stop":
        print("stopped" if stop() else "not running")
    elif args.action == "reset":
        reset(args.port)
        print("reset")
    else:
        print(url(args.port))


if __name__ == "__main__":
    main()

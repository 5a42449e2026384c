"""The emulator with IAM enforced, identities that carry exactly the suite's policies, and the calls they made.

docs/iam/*.json are templates: ${Name} placeholders for the estate's values, which render()
fills (an operator does the same with envsubst, see docs/iam/README.md). IAM's own policy
variables (${aws:userid}) are left as they are.

The emulator is the session's in-process moto server (tests/conftest.py), patched by
lab/emulator.py: enforcement is switched on and off here through moto's own setting, and every
call it authorised or refused is in lab.emulator.RECORDED_CALLS, in order, with the identity
that made it.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import boto3

from lab import emulator

REPO = Path(__file__).resolve().parents[2]
IAM_DOCS = REPO / "docs" / "iam"
ACCOUNT = "123456789012"
# The lab estate (inventories/lab/group_vars/all/estate.yml) in the emulated account.
LAB_VALUES = {
    "Partition": "aws",
    "Account": ACCOUNT,
    "Region": "eu-west-1",
    "Estate": "dsm-lab",
    "DeploymentBucket": "dsm-lab-deployment",
    "TransferBucket": f"dsm-lab-ssm-transfer-{ACCOUNT}",
    "MasterSecret": "dsm-lab/db-master",
    "LogBucket": "dsm-lab-logs",
    "EvidenceBucket": "dsm-lab-evidence",
}
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z]+)\}")


def render(name: str, values: dict[str, str] = LAB_VALUES) -> dict:
    """docs/iam/<name>.json with its placeholders filled; an unknown placeholder fails, naming it."""
    text = (IAM_DOCS / f"{name}.json").read_text()
    unknown = sorted(set(_PLACEHOLDER.findall(text)) - set(values))
    assert not unknown, f"docs/iam/{name}.json has placeholders nobody fills: {unknown}"
    return json.loads(_PLACEHOLDER.sub(lambda m: values[m.group(1)], text))


def without(policy: dict, action: str) -> dict:
    """The policy with one action taken out of every statement (a statement left empty goes)."""
    statements = []
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        kept = [a for a in actions if a != action]
        if kept:
            statements.append({**statement, "Action": kept})
    assert statements != policy["Statement"], f"{action} is in no statement"
    return {**policy, "Statement": statements}


@contextlib.contextmanager
def enforced():
    """IAM checked on every request (moto's INITIAL_NO_AUTH_ACTION_COUNT = 0) until the block ends."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    before = settings.INITIAL_NO_AUTH_ACTION_COUNT
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin.request_count = 0
    try:
        yield
    finally:
        settings.INITIAL_NO_AUTH_ACTION_COUNT = before


def credentials_env(key_id: str, secret: str, token: str = "") -> dict[str, str]:
    """Environment for ansible-playbook and boto3 as one identity (an IAM user has no session token)."""
    return {"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": token}


def user_with_policy(name: str, policy: dict) -> dict[str, str]:
    """An IAM user holding exactly ``policy`` (inline), with an access key; made while IAM is not enforced."""
    iam = boto3.client("iam")
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName=name, PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return credentials_env(key["AccessKeyId"], key["SecretAccessKey"])


def role_credentials(role: str) -> dict[str, str]:
    """Temporary credentials of ``role``, as EC2 hands an instance profile's to the node (STS AssumeRole).

    Asked while IAM is not enforced: the role trusts ec2.amazonaws.com, which only EC2 can be.
    """
    answer = boto3.client("sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", RoleSessionName="i-lab")
    creds = answer["Credentials"]
    return credentials_env(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


def mark() -> int:
    """Where the record stands now: calls after it belong to what runs next."""
    return len(emulator.RECORDED_CALLS)


def calls(since: int, identity: str | None = None) -> list[dict]:
    """The calls recorded after ``since``, of one identity (a user name, or role/<name>) or all."""
    return [c for c in emulator.RECORDED_CALLS[since:] if identity is None or c["identity"] == identity]


def denied(since: int, identity: str) -> list[str]:
    return sorted({c["action"] for c in calls(since, identity) if c["outcome"] == "denied"})

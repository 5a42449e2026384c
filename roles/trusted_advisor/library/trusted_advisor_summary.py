#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Read the Trusted Advisor check summaries of the account: which checks are red or yellow."""

from __future__ import annotations

DOCUMENTATION = r"""
module: trusted_advisor_summary
short_description: Summarise the account's Trusted Advisor checks (red and yellow items)
description:
  - Lists the Trusted Advisor checks (DescribeTrustedAdvisorChecks) and reads their summaries
    (DescribeTrustedAdvisorCheckSummaries) through the AWS Support API, which answers only in us-east-1.
  - Never fails on what the account cannot answer: without a Business, Enterprise On-Ramp or Enterprise
    support plan the API raises SubscriptionRequiredException; the module then returns C(available=false)
    and the reason, so a runbook can treat Trusted Advisor as a soft check.
  - Reads only; supports check mode.
options:
  categories:
    description: Check categories to keep (e.g. C(fault_tolerance), C(security)); empty keeps all.
    type: list
    elements: str
    default: []
  language:
    description: Language of the check names.
    type: str
    default: en
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Trusted Advisor is read
  trusted_advisor_summary:
    categories: [fault_tolerance, security]
  register: trusted_advisor
"""

RETURN = r"""
available:
  description: Whether the summaries could be read (false without the support plan, or where the API is missing).
  type: bool
  returned: always
reason:
  description: Why the summaries could not be read; empty when they could.
  type: str
  returned: always
red:
  description: Checks in status C(error) (red), each with name, category and the number of flagged resources.
  type: list
  elements: dict
  returned: always
  sample: [{"name": "Amazon RDS Backups", "category": "fault_tolerance", "flagged": 1}]
yellow:
  description: Checks in status C(warning) (yellow), as for O(red).
  type: list
  elements: dict
  returned: always
checks:
  description: Number of checks read.
  type: int
  returned: always
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

# The Support API has one endpoint, in us-east-1, whatever region the estate is in.
SUPPORT_REGION = "us-east-1"


def unavailable(module: AnsibleAWSModule, reason: str) -> None:
    module.exit_json(changed=False, available=False, reason=reason, red=[], yellow=[], checks=0)


def main() -> None:
    """List the checks, read their summaries in one call, and sort them by status."""
    module = AnsibleAWSModule(
        argument_spec={
            "categories": {"type": "list", "elements": "str", "default": []},
            "language": {"type": "str", "default": "en"},
        },
        supports_check_mode=True,
    )
    client = module.client("support", region=SUPPORT_REGION)
    try:
        checks = client.describe_trusted_advisor_checks(language=module.params["language"])["checks"]
        if module.params["categories"]:
            checks = [check for check in checks if check.get("category") in module.params["categories"]]
        summaries = []
        if checks:
            summaries = client.describe_trusted_advisor_check_summaries(
                checkIds=[check["id"] for check in checks]
            )["summaries"]
    except botocore.exceptions.ClientError as err:
        error = err.response.get("Error", {})
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
        message = error.get("Message", "")
        # An endpoint without the API answers an HTML error page: say so rather than print the page.
        if message.lstrip().startswith("<"):
            message = f"HTTP {status} from the Support API endpoint"
        unavailable(module, f"{error.get('Code', 'error')}: {message[:300]}")
    except botocore.exceptions.BotoCoreError as err:
        unavailable(module, str(err))
    by_id = {check["id"]: check for check in checks}
    rows = {"error": [], "warning": []}
    for summary in summaries:
        if summary.get("status") not in rows:
            continue
        check = by_id.get(summary["checkId"], {})
        rows[summary["status"]].append({
            "name": check.get("name", summary["checkId"]),
            "category": check.get("category", ""),
            "flagged": summary.get("resourcesSummary", {}).get("resourcesFlagged", 0),
        })
    module.exit_json(changed=False, available=True, reason="", red=rows["error"], yellow=rows["warning"], checks=len(checks))


if __name__ == "__main__":
    main()

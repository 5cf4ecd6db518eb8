"""STS AssumeRole refuses a role that does not exist or whose trust policy does not allow the caller.

AWS (AWS STS API Reference, AssumeRole; IAM User Guide, "Cross account resource access in IAM" and "IAM JSON policy
elements: Principal"): the role named by RoleArn, in its own account, must exist, and its trust policy (the role's
resource-based policy) must allow sts:AssumeRole to the caller: a Principal naming the caller's role or user ARN,
its account (`arn:aws:iam::ACCOUNT:root` or `ACCOUNT`) or `*`, with every condition true in the request's context
(aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID); an explicit Deny wins. Otherwise STS answers
AccessDenied, 403 ("User: ... is not authorized to perform: sts:AssumeRole on resource: ..."), the same answer for a
missing role as for one that does not trust the caller. The caller's own identity policy is evaluated by
iam_enforcement.py (with aws:ResourceOrgID of the role's account).

moto 5.2.5: "the role does not need to exist" (moto.sts.models.assume_role): any RoleArn, in any account, gets
credentials acting in that account, whatever the trust policy says. This patch checks existence and trust for
callers with credentials moto issued (role sessions, such as the hosted functions', and IAM users). The emulator's
administrator keeps moto's behaviour for trust: it stands in for the Lambda service when the deployer assumes the
functions' roles (iam_enforcement.py), so trust is not evaluated for it; a role missing from another account is
refused for it too (an operator's `efs-guard scan --org` runs as the administrator and meets a member without the
role as it would on AWS). Within one account (the role in the caller's own
account) moto's behaviour is kept too: the approval tests assume the approver role with sessions its trust policy
would refuse, to reach the workflow's own checks behind it (test/integration/approvals.test.ts); the check applies
to cross-account AssumeRole, such as the hub's into its members.
"""

from __future__ import annotations

from typing import Any

from moto.core.exceptions import AccessDeniedError
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends
from moto.sts.responses import TokenResponse

from .iam_enforcement import _as_list, _credential, _glob, condition_holds, organization_of

# Marks this patch's refusals, so the operations recorder (emulator/recorder.ts) can tell the member role's trust
# policy refusing a call from the caller's own identity policy denying it (iam_enforcement.py): only the second is a
# permission missing from the stack. STS itself sends no such header; the SDK ignores it.
REFUSED_BY_HEADER = "x-efs-guard-refused-by"


class TrustPolicyRefusal(AccessDeniedError):
    """AccessDenied from the role's side: missing in its account, or its trust policy does not allow the caller."""

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        return [*super().get_headers(*args, **kwargs), (REFUSED_BY_HEADER, "trust-policy")]


def caller_principal(account: str, partition: str, headers: Any) -> str | None:
    """The ARN the trust policy is matched against: an assumed role's role ARN, or an IAM user's ARN; None for
    credentials moto did not issue."""
    credential = _credential(headers)
    if not credential:
        return None
    key = credential[0]
    for session in sts_backends[account][partition].assumed_roles:
        if session.access_key_id == key:
            return session.role_arn
    for user in iam_backends[account][partition].list_users("/", None, None):
        if any(k.access_key_id == key for k in user.access_keys):
            return user.arn
    return None


def _principal_matches(statement: dict[str, Any], principal: str, account: str) -> bool:
    raw = statement.get("Principal")
    if raw == "*":
        return True
    names = _as_list(raw.get("AWS")) if isinstance(raw, dict) else []
    candidates = {principal, account, f"arn:aws:iam::{account}:root"}
    return any(str(n) == "*" or str(n) in candidates for n in names)


def trust_allows(trust: dict[str, Any], principal: str, account: str, context: dict[str, list[str]]) -> bool:
    def applies(statement: dict[str, Any]) -> bool:
        if not any(_glob(a, "sts:AssumeRole", case=False) for a in _as_list(statement.get("Action"))):
            return False
        if not _principal_matches(statement, principal, account):
            return False
        return all(
            condition_holds(op, key, expected, context)
            for op, keys in (statement.get("Condition") or {}).items()
            for key, expected in keys.items()
        )

    statements = [s for s in _as_list(trust.get("Statement")) if isinstance(s, dict)]
    if any(s.get("Effect") == "Deny" and applies(s) for s in statements):
        return False
    return any(s.get("Effect") == "Allow" and applies(s) for s in statements)


def apply() -> None:
    import json

    original = TokenResponse.assume_role

    def assume_role(self: Any) -> Any:
        account = self.current_account
        principal = caller_principal(account, self.partition, self.headers)
        role_arn = self._get_param("RoleArn") or ""
        parts = role_arn.split(":")
        if len(parts) == 6 and parts[4] == account:
            return original(self)
        role = None
        if len(parts) == 6:
            try:
                role = iam_backends[parts[4]][self.partition].get_role_by_arn(role_arn)
            except Exception:  # noqa: BLE001 - no such role
                role = None
        if principal is None:
            # The administrator (the deployer, or an operator's CLI run such as `scan --org`): its trust is not
            # evaluated, but a role missing from the other account is refused as STS refuses it.
            if role is None and len(parts) == 6:
                raise TrustPolicyRefusal(f"arn:aws:iam::{account}:root", f"sts:AssumeRole on resource: {role_arn}")
            return original(self)
        context = {"aws:PrincipalArn": [principal], "aws:PrincipalAccount": [account]}
        org = organization_of(account, self.partition)
        if org:
            context["aws:PrincipalOrgID"] = [org]
        document = role.assume_role_policy_document if role is not None else "{}"
        trust = json.loads(document) if isinstance(document, str) else document
        if role is None or not trust_allows(trust, principal, account, context):
            raise TrustPolicyRefusal(principal, f"sts:AssumeRole on resource: {role_arn}")
        return original(self)

    TokenResponse.assume_role = assume_role

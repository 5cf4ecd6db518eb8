"""KMS keys of another account.

Follows: "Allowing users in other accounts to use a KMS key"
(https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html) and the
"Cross-account use" line of each operation in the AWS KMS API Reference (DescribeKey and GetKeyRotationStatus: Yes,
with the key ARN, or for DescribeKey the alias ARN; ListResourceTags, EnableKey, EnableKeyRotation,
CancelKeyDeletion: No).

AWS: a caller names a key of another account by its ARN; for the operations that allow it, KMS looks the key up in
the account the ARN names and allows the call only when the key policy grants it to the caller (the caller's account,
its root, or the caller's own role) and the caller's IAM policy allows it too. A key policy that does not grant it
gives AccessDeniedException; an ARN naming no key gives NotFoundException.

moto 5.2: the key id is cut out of the ARN and looked up in the caller's account, so every key of another account is
NotFoundException, whatever its key policy says.

This patch routes DescribeKey and GetKeyRotationStatus with another account's key (or alias) ARN to that account,
in the request's region, and checks the key policy's Allow and Deny statements for the action against the caller
(Principal "*", the caller's account id or root ARN, or the role the caller's credentials were issued for). Policy
conditions are not evaluated, and the caller's own IAM policy is left to moto's IAM enforcement. The other
operations keep moto's answer (NotFoundException): they never reach another account's key on AWS either.
"""

import json
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.kms.models import kms_backends
from moto.kms.responses import KmsResponse

CROSS_ACCOUNT_ACTIONS = {"DescribeKey", "GetKeyRotationStatus"}


class AccessDeniedException(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("AccessDeniedException", message)


class NotFoundException(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("NotFoundException", message)


def _owner(response: KmsResponse) -> tuple[str, str] | None:
    """(account, ARN) when the request names a key or alias of another account by ARN in an operation that may."""
    try:
        action = response._get_action()
        key_id = response._get_param("KeyId")
    except Exception:
        return None
    if action not in CROSS_ACCOUNT_ACTIONS or not isinstance(key_id, str) or not key_id.startswith("arn:"):
        return None
    parts = key_id.split(":", 5)
    if len(parts) < 6 or parts[2] != "kms":
        return None
    account = parts[4]
    if account == response.current_account:
        return None
    if action == "GetKeyRotationStatus" and ":alias/" in key_id:
        return None  # the key ARN only; moto's own NotFoundException answers an alias
    return account, key_id


def _caller_principals(response: KmsResponse) -> set[str]:
    account = response.current_account
    partition = response.partition
    principals = {account, f"arn:{partition}:iam::{account}:root"}
    try:
        from moto.sts.models import sts_backends

        access_key = response.get_access_key()
        for role in sts_backends[account][partition].assumed_roles:
            if role.access_key_id == access_key:
                principals.add(role.role_arn)
    except Exception:
        pass
    return principals


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _matches(statement: dict[str, Any], action: str, principals: set[str]) -> bool:
    actions = _listed(statement.get("Action"))
    wanted = f"kms:{action}"
    if not any(a in ("*", "kms:*", wanted) or (a.endswith("*") and wanted.startswith(a[:-1])) for a in actions):
        return False
    principal = statement.get("Principal")
    if principal == "*":
        return True
    named = _listed(principal.get("AWS")) if isinstance(principal, dict) else []
    return "*" in named or bool(principals.intersection(named))


def _allowed(policy_text: str | None, action: str, principals: set[str]) -> bool:
    try:
        policy = json.loads(policy_text or "{}")
    except ValueError:
        return False
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    matching = [s for s in statements if isinstance(s, dict) and _matches(s, action, principals)]
    if any(s.get("Effect") == "Deny" for s in matching):
        return False
    return any(s.get("Effect") == "Allow" for s in matching)


def apply() -> None:
    original = KmsResponse.kms_backend

    def kms_backend(self: KmsResponse) -> Any:
        owner = _owner(self)
        if owner is None:
            return original.fget(self)
        account, arn = owner
        backend = kms_backends[account][self.region]
        name = arn.split(":", 5)[5]
        key_id = backend.get_key_id_from_alias(name) if name.startswith("alias/") else name.split("key/", 1)[-1]
        key = backend.keys.get(key_id or "")
        if key is None:
            raise NotFoundException(f"Key '{arn}' does not exist")
        action = self._get_action()
        if not _allowed(key.policy, action, _caller_principals(self)):
            raise AccessDeniedException(
                f"User: arn:{self.partition}:iam::{self.current_account}:root is not authorized to perform: "
                f"kms:{action} on resource: {key.arn} because no resource-based policy allows the kms:{action} action"
            )
        return backend

    KmsResponse.kms_backend = property(kms_backend)  # type: ignore[assignment]

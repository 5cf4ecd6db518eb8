"""STS AssumeRole refuses a role that does not exist.

AWS (AWS STS API Reference, AssumeRole, Errors; IAM User Guide, "Troubleshooting IAM roles": "I can't assume a
role"): AssumeRole of a role ARN that names no role in its account is refused with AccessDenied, "User: CALLER is
not authorized to perform: sts:AssumeRole on resource: ROLE_ARN", the same answer as a trust policy that does not
name the caller (STS does not tell the two apart). This is what an organization member without the efs-guard-member
role (its StackSet instance not deployed yet, or the role deleted) answers the hub.

moto 5.2.5: AssumeRole never looks the role up ("the role does not need to exist") and hands out credentials for
any ARN in any account; calls made with them then fail with an HTML error page, not an AWS error. This patch looks
the role up in the account the ARN names and refuses a missing one as AWS does. Trust policies are still not
evaluated (docs/testing.md).
"""

from moto.core.exceptions import _RESTError
from moto.iam.models import iam_backends
from moto.sts.responses import TokenResponse


class AssumeRoleAccessDenied(_RESTError):
    code = 403

    def __init__(self, caller: str, role_arn: str) -> None:
        super().__init__(
            "AccessDenied",
            f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
        )


def _role_exists(role_arn: str) -> bool:
    parts = role_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        return True  # malformed: moto's own validation answers it
    partition, account, resource = parts[1], parts[4], parts[5]
    name = resource.rsplit("/", 1)[-1]
    try:
        iam_backends[account][partition].get_role(name)
    except Exception:
        return False
    return True


def apply() -> None:
    original = TokenResponse.assume_role

    def assume_role(self):
        role_arn = self._get_param("RoleArn") or ""
        if not _role_exists(role_arn):
            raise AssumeRoleAccessDenied(f"the caller of access key {self.get_access_key()}", role_arn)
        return original(self)

    TokenResponse.assume_role = assume_role

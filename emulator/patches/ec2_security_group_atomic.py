"""Changes to security group rules are atomic, as in AWS.

AWS: each AuthorizeSecurityGroupIngress, RevokeSecurityGroupIngress or ModifySecurityGroupRules call applies
all-or-nothing, serialised with every other change; when two callers revoke the same rule at the same time, one
succeeds and the other gets InvalidSecurityGroupRuleId.NotFound (or InvalidPermission.NotFound).

moto 5.2: the server is threaded and the rule lists are read, filtered and reassigned without a lock, so two
concurrent revokes of one rule can both find it and both succeed. EFS Guard's duplicate-delivery guarantee (one
"remediated", the others "already-remediated") is tested with concurrent deliveries, so the emulator must not
confirm a revoke twice. This patch serialises the rule-changing operations of the EC2 security group backend.

Source: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html (a rule that does
not exist is InvalidPermission.NotFound) and API_ModifySecurityGroupRules.html (same folder).
"""

import functools
import threading

from moto.ec2.models.security_groups import SecurityGroupBackend

LOCK = threading.RLock()

OPERATIONS = (
    "authorize_security_group_ingress",
    "authorize_security_group_egress",
    "revoke_security_group_ingress",
    "revoke_security_group_egress",
    "modify_security_group_rules",
)


def _serialised(method):
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with LOCK:
            return method(*args, **kwargs)

    wrapper.efs_guard_serialised = True
    return wrapper


def apply() -> None:
    for name in OPERATIONS:
        setattr(SecurityGroupBackend, name, _serialised(getattr(SecurityGroupBackend, name)))

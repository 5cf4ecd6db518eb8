"""AuthorizeSecurityGroupIngress answers with every rule it added, and adds all of them or none.

AWS: EC2 API Reference, AuthorizeSecurityGroupIngress
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html): the response's
SecurityGroupRules holds "information about the inbound (ingress) security group rules that were added", all of
them, whatever the number of IpPermissions in the request; a request that fails (InvalidPermission.Duplicate for
one of its rules, RulesPerSecurityGroupLimitExceeded) adds none of its rules, as ec2_security_group_atomic
describes for every rule change. EFS Guard authorizes the narrowed form of a rule (two rules, say) in one call and
names the new rules' ids in its alert, and retries a Duplicate with only the missing rules.

moto 5.2: the response handler authorizes one IpPermission at a time and answers with the rules of the last one
only; when a later permission fails, the earlier ones stay added. This patch collects the rules of every
permission, and on a failure puts the groups' ingress rules back as they were before the call, under the lock
that serialises rule changes.
"""

from moto.core.responses import ActionResult
from moto.ec2.responses.security_groups import SecurityGroups

from patches.ec2_security_group_atomic import LOCK


def authorize_security_group_ingress(self):
    self.error_on_dryrun()
    added = []
    before = {}
    with LOCK:
        try:
            for kwargs in self._process_rules_from_querystring():
                group = self.ec2_backend.get_security_group_by_name_or_id(kwargs["group_name_or_id"])
                if group is not None and group.id not in before:
                    before[group.id] = (group, list(group.ingress_rules))
                rules, _ = self.ec2_backend.authorize_security_group_ingress(**kwargs)
                added.extend(rules)
        except Exception:
            for group, rules in before.values():
                group.ingress_rules = rules
            raise
    return ActionResult({"Return": True, "SecurityGroupRules": added})


def apply() -> None:
    SecurityGroups.authorize_security_group_ingress = authorize_security_group_ingress

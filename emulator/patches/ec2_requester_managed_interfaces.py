"""A mount target's network interface is requester-managed by EFS, and no caller can make or change one.

AWS: EC2 User Guide, "Requester-managed network interfaces"
(https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/requester-managed-eni.html): an interface that an AWS service
creates in your VPC on your behalf reports RequesterManaged true and, as RequesterId, "the alias or AWS account ID
of the principal or service that created the network interface" (not your account); "you can add or remove tags,
but you can't change other properties of a requester-managed network interface" and "you can't detach" it. EFS
creates a mount target's interface through its service-linked role, with the description
"EFS mount target for fs-... (fsmt-...)" (EFS User Guide, "Logging Amazon EFS API calls with AWS CloudTrail":
the CreateNetworkInterface made by AWSServiceRoleForAmazonElasticFileSystem shows requesterManaged true), and
reports it as the mount target's NetworkInterfaceId (EFS API Reference, MountTargetDescription). Its InterfaceType
is "interface": the EC2 API's NetworkInterfaceType has no EFS value. CreateNetworkInterface has no parameter that
makes an interface requester-managed, so an interface a caller creates reports RequesterManaged false whatever
its description says. DescribeNetworkInterfaces filters on requester-managed, requester-id and interface-type
(EC2 API Reference, DescribeNetworkInterfaces).

moto 5.2: every interface, a mount target's included, is requester_managed False with one fixed requester id and
status "available"; the three filters raise FilterNotImplementedError; ModifyNetworkInterfaceAttribute and
DeleteNetworkInterface accept any interface. This patch makes a mount target's interface requester-managed by
EFS and in use, adds the filters, and refuses callers' attribute changes and deletes of requester-managed
interfaces. EFS's own ModifyMountTargetSecurityGroups and DeleteMountTarget still change them (they go through
moto's backend, as EFS goes through its service-linked role). AWS documents neither EFS's requester id (in real
accounts a 12-digit AWS account, neither the owner's nor the caller's) nor the error code of a refused change;
EFS Guard depends on neither: it checks RequesterManaged and then EFS's own record of the mount target.
"""

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ec2.responses.elastic_network_interfaces import ElasticNetworkInterfaces
from moto.efs.models import EFSBackend

# Stands in for the AWS account EFS creates interfaces from: any value that is not the owner's account will do.
EFS_REQUESTER_ID = "641247547298"


class RequesterManagedInterface(EC2ClientError):
    def __init__(self, eni_id: str, operation: str) -> None:
        super().__init__(
            "OperationNotPermitted",
            f"You cannot {operation} the network interface '{eni_id}': it is managed by {EFS_REQUESTER_ID}.",
        )


def _interface(ec2_backend, eni_id):
    """The interface by id, or None. A dict lookup: moto's get_network_interface iterates over every interface,
    which fails ("dictionary changed size during iteration") while another request of the threaded server adds one."""
    return ec2_backend.enis.get(eni_id)


def _refuse_requester_managed(method, operation):
    def wrapper(self):
        eni_id = self._get_param("NetworkInterfaceId")
        eni = _interface(self.ec2_backend, eni_id)
        if eni is not None and eni.requester_managed:
            raise RequesterManagedInterface(eni_id, operation)
        return method(self)

    return wrapper


def apply() -> None:
    create_mount_target = EFSBackend.create_mount_target

    def create_mount_target_requester_managed(self, *args, **kwargs):
        mount_target = create_mount_target(self, *args, **kwargs)
        eni = _interface(self.ec2_backend, mount_target.network_interface_id)
        eni.requester_managed = True
        eni.requester_id = EFS_REQUESTER_ID
        eni.interface_type = "interface"
        eni.status = "in-use"
        return mount_target

    EFSBackend.create_mount_target = create_mount_target_requester_managed

    get_filter_value = NetworkInterface.get_filter_value

    def get_filter_value_with_requester(self, filter_name, method_name=None):
        if filter_name == "requester-managed":
            return bool(self.requester_managed)
        if filter_name == "requester-id":
            return self.requester_id
        if filter_name == "interface-type":
            return self.interface_type
        return get_filter_value(self, filter_name, method_name)

    NetworkInterface.get_filter_value = get_filter_value_with_requester

    ElasticNetworkInterfaces.modify_network_interface_attribute = _refuse_requester_managed(
        ElasticNetworkInterfaces.modify_network_interface_attribute, "modify the attributes of"
    )
    ElasticNetworkInterfaces.delete_network_interface = _refuse_requester_managed(
        ElasticNetworkInterfaces.delete_network_interface, "delete"
    )

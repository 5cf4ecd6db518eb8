"""EFS mount target network interfaces carry AWS's description.

AWS: the network interface EFS creates for a mount target is described as
"EFS mount target for fs-0123 (fsmt-0456)" and carries the mount target's security groups. EFS Guard finds
the mount targets behind a security group with one DescribeNetworkInterfaces call filtered on the group and
that description, instead of listing every file system.

moto 5.2: creates the interface with the security groups but no description. This patch sets it.

Source: https://docs.aws.amazon.com/efs/latest/ug/API_CreateMountTarget.html (the interface EFS creates:
description, requesterManaged true, the mount target's security groups). The reference words the description "Mount
target fsmt-id for file system fs-id"; the wording this patch writes is the one the guard matched when it was
written, so no guard decision may rest on it (a caller can write any description).
"""

from moto.efs.models import EFSBackend


def apply() -> None:
    original = EFSBackend.create_mount_target

    def create_mount_target(self, *args, **kwargs):
        mount_target = original(self, *args, **kwargs)
        # A dict lookup: moto's get_network_interface iterates over every interface, which fails while another
        # request of the threaded server adds one (and the mount target would keep an undescribed interface).
        eni = self.ec2_backend.enis[mount_target.network_interface_id]
        eni.description = f"EFS mount target for {mount_target.file_system_id} ({mount_target.mount_target_id})"
        return mount_target

    EFSBackend.create_mount_target = create_mount_target

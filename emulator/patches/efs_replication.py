"""EFS replication configurations (and PutBackupPolicy where moto lacks it).

AWS: CreateReplicationConfiguration (POST /2015-02-01/file-systems/{id}/replication-configuration) replicates a
file system to a destination. With Destinations=[{Region, KmsKeyId}] EFS creates the destination file system,
always encrypted (with KmsKeyId, or the aws/elasticfilesystem key), read-only while replication runs; its
FileSystemProtection.ReplicationOverwriteProtection is REPLICATING. A source has at most one replication.
DescribeReplicationConfigurations (GET /2015-02-01/file-systems/replication-configurations?FileSystemId=)
reports the destination ENABLING, then ENABLED. PutBackupPolicy sets automatic backups ENABLED or DISABLED.

moto 5.2: has none of these. This patch adds them on top of moto's EFS models: the destination is a real moto
file system, encrypted with the requested key, so everything that reads it afterwards sees it.

Source: https://docs.aws.amazon.com/efs/latest/ug/API_CreateReplicationConfiguration.html,
API_DescribeReplicationConfigurations.html (same folder) and https://docs.aws.amazon.com/efs/latest/ug/efs-
replication.html.
"""

import json
import time

from moto.efs.exceptions import BadRequest, EFSError, FileSystemNotFound
from moto.efs import urls as efs_urls
from moto.efs.models import EFSBackend
from moto.efs.responses import EFSResponse
from moto.moto_api._internal import mock_random


class ReplicationNotFound(EFSError):
    code = 404

    def __init__(self, msg: str):
        super().__init__("ReplicationNotFound", msg)


def _replications(backend: EFSBackend) -> dict:
    if not hasattr(backend, "_efs_guard_replications"):
        backend._efs_guard_replications = {}
    return backend._efs_guard_replications


def create_replication_configuration(self: EFSBackend, source_id: str, destinations: list) -> dict:
    source = self.file_systems_by_id.get(source_id)
    if source is None:
        raise FileSystemNotFound(source_id)
    if source_id in _replications(self):
        raise BadRequest(f"File system {source_id} already has a replication configuration")
    if not destinations or len(destinations) != 1:
        raise BadRequest("exactly one destination is required")
    wanted = destinations[0]
    if wanted.get("FileSystemId"):
        raise BadRequest("replication to an existing file system is not emulated")
    key = wanted.get("KmsKeyId") or f"arn:aws:kms:{self.region_name}:{self.account_id}:alias/aws/elasticfilesystem"
    destination = self.create_file_system(
        creation_token=f"replication-{source_id}-{mock_random.get_random_hex(8)}",
        performance_mode=source.performance_mode,
        encrypted=True,
        kms_key_id=key,
        throughput_mode=source.throughput_mode,
        provisioned_throughput_in_mibps=None,
        availability_zone_name=wanted.get("AvailabilityZoneName"),
        backup=False,
        tags=[],
    )
    destination.file_system_protection = {"ReplicationOverwriteProtection": "REPLICATING"}
    config = {
        "SourceFileSystemId": source_id,
        "SourceFileSystemRegion": self.region_name,
        "SourceFileSystemArn": source.file_system_arn,
        "OriginalSourceFileSystemArn": source.file_system_arn,
        "CreationTime": time.time(),
        "Destinations": [
            {"Status": "ENABLING", "FileSystemId": destination.file_system_id, "Region": self.region_name}
        ],
    }
    _replications(self)[source_id] = config
    return json.loads(json.dumps(config))


def describe_replication_configurations(self: EFSBackend, file_system_id: str | None) -> list:
    out = []
    for source_id, config in _replications(self).items():
        destination_ids = [d["FileSystemId"] for d in config["Destinations"]]
        if file_system_id and file_system_id not in (source_id, *destination_ids):
            continue
        out.append(json.loads(json.dumps(config)))
        for d in config["Destinations"]:
            if d["Status"] == "ENABLING":
                d["Status"] = "ENABLED"
                d["LastReplicatedTimestamp"] = time.time()
    if file_system_id and not out:
        if file_system_id not in self.file_systems_by_id:
            raise FileSystemNotFound(file_system_id)
        raise ReplicationNotFound(f"No replication configuration found for file system {file_system_id}")
    return out


def r_create_replication_configuration(self):
    source_id = self._get_param("SourceFileSystemId")
    config = self.efs_backend.create_replication_configuration(source_id, self._get_param("Destinations") or [])
    return json.dumps(config), {"Content-Type": "application/json"}


def r_describe_replication_configurations(self):
    replications = self.efs_backend.describe_replication_configurations(self._get_param("FileSystemId"))
    return json.dumps({"Replications": replications}), {"Content-Type": "application/json"}


def r_put_backup_policy(self):
    file_system_id = self._get_param("FileSystemId")
    status = (self._get_param("BackupPolicy") or {}).get("Status")
    fs = self.efs_backend.file_systems_by_id.get(file_system_id)
    if fs is None:
        raise FileSystemNotFound(file_system_id)
    if status not in ("ENABLED", "DISABLED"):
        raise BadRequest("BackupPolicy.Status must be ENABLED or DISABLED")
    fs._backup = status == "ENABLED"
    return json.dumps({"BackupPolicy": {"Status": status}}), {"Content-Type": "application/json"}


def apply() -> None:
    EFSBackend.create_replication_configuration = create_replication_configuration
    EFSBackend.describe_replication_configurations = describe_replication_configurations
    EFSResponse.create_replication_configuration = r_create_replication_configuration
    # moto's server routes EFS by explicit paths; the replication ones are not among them.
    efs_urls.url_paths["/2015-02-01/file-systems/<file_system_id>/replication-configuration"] = efs_urls.response.dispatch
    EFSResponse.describe_replication_configurations = r_describe_replication_configurations
    # Another patch may already add PutBackupPolicy (the efs-backup-enabled control needs it too); keep theirs.
    if not hasattr(EFSResponse, "put_backup_policy"):
        EFSResponse.put_backup_policy = r_put_backup_policy

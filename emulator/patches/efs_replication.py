"""EFS replication configurations and file system protection, as the EFS documentation describes them.

Sources: CreateReplicationConfiguration, DescribeReplicationConfigurations, DeleteReplicationConfiguration,
UpdateFileSystemProtection and DeleteFileSystem in the Amazon EFS API reference
(https://docs.aws.amazon.com/efs/latest/ug/API_CreateReplicationConfiguration.html, API_DestinationToCreate.html,
API_FileSystemProtectionDescription.html, API_DeleteFileSystem.html), and the EFS User Guide's "Configuring
replication to new EFS file system" (https://docs.aws.amazon.com/efs/latest/ug/create-replication.html),
"Configuring replication to an existing EFS file system" (replicate-existing-destination.html) and "Viewing
replication details" (monitoring-replication-status.html).

AWS:
- A file system can be part of only one replication configuration, as source or as destination; a destination
  cannot be the source of another one. Exactly one destination.
- New destination (no FileSystemId): EFS creates it in the requested Region (or the Region of the requested
  Availability Zone, for One Zone), always encrypted (KmsKeyId, or the aws/elasticfilesystem key), with default
  settings: the source's performance mode (General Purpose for One Zone), Bursting throughput, no lifecycle
  management, automatic backups on for One Zone only, no mount targets.
- Existing destination (FileSystemId, an id or ARN in the destination Region): its replication overwrite protection
  must be DISABLED; an encrypted source cannot replicate to an unencrypted destination (ConflictException). Its own
  settings (key, throughput, Availability Zone) stay as they are.
- While the configuration exists the destination's FileSystemProtection.ReplicationOverwriteProtection is
  REPLICATING: read-only, modified only by EFS replication; UpdateFileSystemProtection on it is refused
  (ReplicationAlreadyExists), and neither file system can be deleted (FileSystemInUse). Deleting the configuration
  re-enables the protection and the destination becomes writeable.
- The destination's status is ENABLING until the initial sync finishes (a time that depends on the data), then
  ENABLED with a LastReplicatedTimestamp. DescribeReplicationConfigurations answers in the source's Region with the
  source id and in the destination's Region with the destination id; ReplicationNotFound when there is none.
- Every file system reports FileSystemProtection; a new one has ReplicationOverwriteProtection ENABLED.

moto 5.2: has none of this. This patch adds it on top of moto's EFS models. The initial sync takes
EFS_GUARD_REPLICATION_SYNC_SECONDS (default 2) of wall time. The data plane (NFS writes) is not emulated, so
"read-only" is what the control plane shows and refuses. PutBackupPolicy is added here too when no other patch has.
"""

import json
import os
import time

from moto.efs import urls as efs_urls
from moto.efs.exceptions import BadRequest, EFSError, FileSystemNotFound
from moto.efs.models import EFSBackend, FileSystem, efs_backends
from moto.efs.responses import EFSResponse
from moto.moto_api._internal import mock_random

PROTECTION = "file_system_protection"


class ReplicationNotFound(EFSError):
    code = 404

    def __init__(self, msg: str):
        super().__init__("ReplicationNotFound", msg)


class ReplicationAlreadyExists(EFSError):
    code = 409

    def __init__(self, msg: str):
        super().__init__("ReplicationAlreadyExists", msg)


class ConflictException(EFSError):
    code = 409

    def __init__(self, msg: str):
        super().__init__("ConflictException", msg)


class FileSystemInUse(EFSError):
    code = 409

    def __init__(self, msg: str):
        super().__init__("FileSystemInUse", msg)


def _sync_seconds() -> float:
    return float(os.environ.get("EFS_GUARD_REPLICATION_SYNC_SECONDS", "2"))


def _registry(backend: EFSBackend) -> dict:
    """The configurations whose source is in this backend's Region, by source id."""
    if not hasattr(backend, "_efs_guard_replications"):
        backend._efs_guard_replications = {}
    return backend._efs_guard_replications


def _all_configs(account_id: str):
    for backend in dict.values(efs_backends[account_id]):
        yield from _registry(backend).values()


def _config_of(account_id: str, region: str, file_system_id: str):
    """The configuration this file system is part of (as source or destination), if any."""
    for config in _all_configs(account_id):
        if config["SourceFileSystemRegion"] == region and config["SourceFileSystemId"] == file_system_id:
            return config
        for d in config["Destinations"]:
            if d["Region"] == region and d["FileSystemId"] == file_system_id:
                return config
    return None


def _protection(fs: FileSystem) -> dict:
    return getattr(fs, PROTECTION, None) or {"ReplicationOverwriteProtection": "ENABLED"}


def _described(config: dict) -> dict:
    out = {k: v for k, v in config.items() if not k.startswith("_")}
    now = time.time()
    destinations = []
    for d in config["Destinations"]:
        d = dict(d)
        if now >= config["_synced_at"]:
            d["Status"] = "ENABLED"
            d["LastReplicatedTimestamp"] = config["_synced_at"]
        destinations.append(d)
    out["Destinations"] = destinations
    return json.loads(json.dumps(out))


def _id_from(value: str) -> str:
    return value.rsplit("/", 1)[-1] if value.startswith("arn:") else value


def create_replication_configuration(self: EFSBackend, source_id: str, destinations: list) -> dict:
    source = self.file_systems_by_id.get(source_id)
    if source is None:
        raise FileSystemNotFound(source_id)
    if not destinations or len(destinations) != 1:
        raise BadRequest("Destinations must contain exactly one destination")
    if _config_of(self.account_id, self.region_name, source_id) is not None:
        raise BadRequest(f"File system {source_id} is already part of a replication configuration")
    wanted = destinations[0]
    az = wanted.get("AvailabilityZoneName")
    given = wanted.get("FileSystemId")
    region = wanted.get("Region")
    if not region and given and given.startswith("arn:"):
        region = given.split(":")[3]
    if not region and az:
        region = az[:-1]
    region = region or self.region_name
    if region not in efs_backends[self.account_id].regions:
        raise BadRequest(f"Region {region} is not a valid destination Region")
    target_backend = efs_backends[self.account_id][region]

    if given:
        destination = target_backend.file_systems_by_id.get(_id_from(given))
        if destination is None:
            raise FileSystemNotFound(_id_from(given))
        if destination is source:
            raise BadRequest("The destination file system cannot be the source file system")
        if _config_of(self.account_id, region, destination.file_system_id) is not None:
            raise BadRequest(
                f"File system {destination.file_system_id} is already part of a replication configuration"
            )
        if _protection(destination)["ReplicationOverwriteProtection"] != "DISABLED":
            raise BadRequest(
                f"File system {destination.file_system_id} has replication overwrite protection enabled; "
                "disable it with UpdateFileSystemProtection before using it as a replication destination"
            )
        if source.encrypted and not destination.encrypted:
            raise ConflictException("An encrypted source file system cannot replicate to an unencrypted destination")
    else:
        key = wanted.get("KmsKeyId") or f"arn:aws:kms:{region}:{self.account_id}:alias/aws/elasticfilesystem"
        destination = target_backend.create_file_system(
            creation_token=f"replication-{source_id}-{mock_random.get_random_hex(8)}",
            performance_mode="generalPurpose" if az else source.performance_mode,
            encrypted=True,
            kms_key_id=key,
            throughput_mode="bursting",
            provisioned_throughput_in_mibps=None,
            availability_zone_name=az,
            backup=bool(az),
            tags=[],
        )
    setattr(destination, PROTECTION, {"ReplicationOverwriteProtection": "REPLICATING"})
    now = time.time()
    config = {
        "SourceFileSystemId": source_id,
        "SourceFileSystemRegion": self.region_name,
        "SourceFileSystemArn": source.file_system_arn,
        "SourceFileSystemOwnerId": self.account_id,
        "OriginalSourceFileSystemArn": source.file_system_arn,
        "CreationTime": now,
        "Destinations": [
            {
                "Status": "ENABLING",
                "FileSystemId": destination.file_system_id,
                "Region": region,
                "OwnerId": self.account_id,
            }
        ],
        "_synced_at": now + _sync_seconds(),
    }
    _registry(self)[source_id] = config
    return _described(config)


def describe_replication_configurations(self: EFSBackend, file_system_id: str | None) -> list:
    if file_system_id:
        file_system_id = _id_from(file_system_id)
        if file_system_id not in self.file_systems_by_id:
            raise FileSystemNotFound(file_system_id)
        config = _config_of(self.account_id, self.region_name, file_system_id)
        if config is None:
            raise ReplicationNotFound(f"No replication configuration found for file system {file_system_id}")
        return [_described(config)]
    return [_described(c) for c in _registry(self).values()]


def delete_replication_configuration(self: EFSBackend, file_system_id: str) -> None:
    file_system_id = _id_from(file_system_id)
    config = _config_of(self.account_id, self.region_name, file_system_id)
    if config is None:
        if file_system_id not in self.file_systems_by_id:
            raise FileSystemNotFound(file_system_id)
        raise ReplicationNotFound(f"No replication configuration found for file system {file_system_id}")
    source_backend = efs_backends[self.account_id][config["SourceFileSystemRegion"]]
    del _registry(source_backend)[config["SourceFileSystemId"]]
    for d in config["Destinations"]:
        destination = efs_backends[self.account_id][d["Region"]].file_systems_by_id.get(d["FileSystemId"])
        if destination is not None:
            setattr(destination, PROTECTION, {"ReplicationOverwriteProtection": "ENABLED"})


def update_file_system_protection(self: EFSBackend, file_system_id: str, protection: str | None) -> dict:
    fs = self.file_systems_by_id.get(file_system_id)
    if fs is None:
        raise FileSystemNotFound(file_system_id)
    if protection not in (None, "ENABLED", "DISABLED"):
        raise BadRequest("ReplicationOverwriteProtection must be ENABLED or DISABLED")
    if _config_of(self.account_id, self.region_name, file_system_id) is not None:
        raise ReplicationAlreadyExists(
            f"File system {file_system_id} is part of a replication configuration; its protection cannot change"
        )
    if protection:
        setattr(fs, PROTECTION, {"ReplicationOverwriteProtection": protection})
    return _protection(fs)


def r_create_replication_configuration(self):
    source_id = self._get_param("SourceFileSystemId")
    config = self.efs_backend.create_replication_configuration(source_id, self._get_param("Destinations") or [])
    return json.dumps(config), {"Content-Type": "application/json"}


def r_describe_replication_configurations(self):
    replications = self.efs_backend.describe_replication_configurations(self._get_param("FileSystemId"))
    return json.dumps({"Replications": replications}), {"Content-Type": "application/json"}


def r_delete_replication_configuration(self):
    self.efs_backend.delete_replication_configuration(self._get_param("SourceFileSystemId"))
    return "", {"status": 204, "Content-Type": "application/json"}


def r_update_file_system_protection(self):
    out = self.efs_backend.update_file_system_protection(
        self._get_param("FileSystemId"), self._get_param("ReplicationOverwriteProtection")
    )
    return json.dumps(out), {"Content-Type": "application/json"}


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
    EFSBackend.delete_replication_configuration = delete_replication_configuration
    EFSBackend.update_file_system_protection = update_file_system_protection
    EFSResponse.create_replication_configuration = r_create_replication_configuration
    EFSResponse.describe_replication_configurations = r_describe_replication_configurations
    EFSResponse.delete_replication_configuration = r_delete_replication_configuration
    EFSResponse.update_file_system_protection = r_update_file_system_protection
    # moto's server routes EFS by explicit paths; these are not among them.
    efs_urls.url_paths["/2015-02-01/file-systems/<file_system_id>/replication-configuration"] = efs_urls.response.dispatch
    efs_urls.url_paths["/2015-02-01/file-systems/<file_system_id>/protection"] = efs_urls.response.dispatch

    # Every file system reports its protection (ENABLED unless set otherwise).
    original_info = FileSystem.info_json

    def info_json(self):
        out = original_info(self)
        out["FileSystemProtection"] = _protection(self)
        return out

    FileSystem.info_json = info_json

    # A file system in a replication configuration cannot be deleted.
    original_delete = EFSBackend.delete_file_system

    def delete_file_system(self, file_system_id):
        if _config_of(self.account_id, self.region_name, file_system_id) is not None:
            raise FileSystemInUse(
                f"File system {file_system_id} is part of a replication configuration; delete the configuration first"
            )
        return original_delete(self, file_system_id)

    EFSBackend.delete_file_system = delete_file_system

    # Another patch may already add PutBackupPolicy (the efs-backup-enabled control needs it too); keep theirs.
    if not hasattr(EFSResponse, "put_backup_policy"):
        EFSResponse.put_backup_policy = r_put_backup_policy

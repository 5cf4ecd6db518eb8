"""EFS file system settings: UpdateFileSystem, the creation token's answer, and what CreateFileSystem and
PutLifecycleConfiguration accept.

Sources: the Amazon EFS API reference for CreateFileSystem, UpdateFileSystem, PutLifecycleConfiguration and
LifecyclePolicy (https://docs.aws.amazon.com/efs/latest/ug/API_CreateFileSystem.html, API_UpdateFileSystem.html,
API_PutLifecycleConfiguration.html), and the EFS User Guide's "Throughput modes" and "Managing storage lifecycle".

AWS:
- CreateFileSystem with a creation token that already names a file system of the account answers
  FileSystemAlreadyExists (409) with the id of that file system in the error (FileSystemId), so that a caller that
  lost the first answer learns what it created. Provisioned throughput needs ProvisionedThroughputInMibps; the
  maxIO performance mode is not supported with Elastic throughput or One Zone storage.
- UpdateFileSystem (PUT /2015-02-01/file-systems/{FileSystemId}) changes ThroughputMode (bursting, provisioned,
  elastic) and ProvisionedThroughputInMibps (required for provisioned) and answers 202 with the description; a file
  system that is not available answers IncorrectFileSystemLifeCycleState.
- PutLifecycleConfiguration: each LifecyclePolicy holds exactly one transition; TransitionToArchive is available only
  for file systems with Elastic throughput and the General Purpose performance mode, and must be later than
  TransitionToIA (files reach Archive through IA). Anything else is a BadRequest.

moto 5.2: has no UpdateFileSystem, answers a reused creation token without the id, and accepts any lifecycle and
throughput combination. This patch adds the operation and the checks on moto's own models.
"""

import json

from moto.core.exceptions import JsonRESTError
from moto.efs.exceptions import BadRequest, FileSystemNotFound
from moto.efs.models import EFSBackend
from moto.efs.responses import EFSResponse

DAYS = {
    "AFTER_1_DAY": 1,
    "AFTER_7_DAYS": 7,
    "AFTER_14_DAYS": 14,
    "AFTER_30_DAYS": 30,
    "AFTER_60_DAYS": 60,
    "AFTER_90_DAYS": 90,
    "AFTER_180_DAYS": 180,
    "AFTER_270_DAYS": 270,
    "AFTER_365_DAYS": 365,
}
TRANSITIONS = ("TransitionToIA", "TransitionToArchive", "TransitionToPrimaryStorageClass")


class FileSystemAlreadyExistsWithId(JsonRESTError):
    code = 409

    def __init__(self, creation_token: str, file_system_id: str):
        super().__init__("FileSystemAlreadyExists", f"File system with {creation_token} already exists.")
        self.description = json.dumps(
            {
                "__type": "FileSystemAlreadyExists",
                "ErrorCode": "FileSystemAlreadyExists",
                "Message": self.message,
                "message": self.message,
                "FileSystemId": file_system_id,
            }
        )


class IncorrectFileSystemLifeCycleState(JsonRESTError):
    code = 409

    def __init__(self, message: str):
        super().__init__("IncorrectFileSystemLifeCycleState", message)


def _check_throughput(mode, mibps, performance_mode, availability_zone_name) -> None:
    if mode not in (None, "bursting", "provisioned", "elastic"):
        raise BadRequest(f"ThroughputMode {mode} is not one of bursting, provisioned, elastic")
    if mode == "provisioned" and not mibps:
        raise BadRequest("ProvisionedThroughputInMibps is required when ThroughputMode is provisioned")
    if mode != "provisioned" and mibps:
        raise BadRequest("ProvisionedThroughputInMibps is only valid with ThroughputMode provisioned")
    if performance_mode == "maxIO" and (mode == "elastic" or availability_zone_name):
        raise BadRequest("The maxIO performance mode is not supported with Elastic throughput or One Zone storage")


def _check_lifecycle(fs, policies) -> None:
    days = {}
    for policy in policies or []:
        given = [k for k in TRANSITIONS if policy.get(k)]
        if len(given) != 1:
            raise BadRequest("Each LifecyclePolicy object must have exactly one transition")
        key = given[0]
        if key in days:
            raise BadRequest(f"{key} is set more than once")
        days[key] = policy[key]
    if "TransitionToArchive" in days:
        if fs.throughput_mode != "elastic" or fs.performance_mode != "generalPurpose":
            raise BadRequest(
                "TransitionToArchive is available only for file systems with the Elastic throughput mode and the "
                "General Purpose performance mode"
            )
        ia = DAYS.get(days.get("TransitionToIA"), 0)
        if "TransitionToIA" in days and DAYS.get(days["TransitionToArchive"], 0) <= ia:
            raise BadRequest("TransitionToArchive must be later than TransitionToIA")


def update_file_system(self: EFSBackend, file_system_id, throughput_mode, provisioned_throughput_in_mibps):
    fs = self.file_systems_by_id.get(file_system_id)
    if fs is None:
        raise FileSystemNotFound(file_system_id)
    if fs.life_cycle_state != "available":
        raise IncorrectFileSystemLifeCycleState(f"File system {file_system_id} is {fs.life_cycle_state}")
    mode = throughput_mode or fs.throughput_mode
    mibps = provisioned_throughput_in_mibps if mode == "provisioned" else None
    if mode == "provisioned" and mibps is None:
        mibps = fs.provisioned_throughput_in_mibps
    _check_throughput(mode, mibps, fs.performance_mode, fs.availability_zone_name)
    fs.throughput_mode = mode
    fs.provisioned_throughput_in_mibps = mibps
    return fs


def r_update_file_system(self):
    fs = self.efs_backend.update_file_system(
        self._get_param("FileSystemId"),
        self._get_param("ThroughputMode"),
        self._get_param("ProvisionedThroughputInMibps"),
    )
    return json.dumps(fs.info_json()), {"status": 202, "Content-Type": "application/json"}


def apply() -> None:
    original_create = EFSBackend.create_file_system

    def create_file_system(self, *args, **kwargs):
        token = kwargs.get("creation_token")
        if token and token in self.creation_tokens:
            existing = next(fs for fs in self.file_systems_by_id.values() if fs.creation_token == token)
            raise FileSystemAlreadyExistsWithId(token, existing.file_system_id)
        _check_throughput(
            kwargs.get("throughput_mode"),
            kwargs.get("provisioned_throughput_in_mibps"),
            kwargs.get("performance_mode"),
            kwargs.get("availability_zone_name"),
        )
        return original_create(self, *args, **kwargs)

    EFSBackend.create_file_system = create_file_system

    original_put_lifecycle = EFSBackend.put_lifecycle_configuration

    def put_lifecycle_configuration(self, file_system_id, policies):
        fs = self.file_systems_by_id.get(file_system_id)
        if fs is None:
            raise FileSystemNotFound(file_system_id)
        _check_lifecycle(fs, policies)
        return original_put_lifecycle(self, file_system_id, policies)

    EFSBackend.put_lifecycle_configuration = put_lifecycle_configuration
    EFSBackend.update_file_system = update_file_system
    EFSResponse.update_file_system = r_update_file_system

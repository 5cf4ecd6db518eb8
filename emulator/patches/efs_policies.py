"""EFS file system policy and backup policy operations, as AWS has them.

AWS:
- DeleteFileSystemPolicy (DELETE /2015-02-01/file-systems/{FileSystemId}/policy) removes the policy; the default
  policy applies again. It succeeds when there is no policy. A file system that does not exist is
  FileSystemNotFound (404).
- PutBackupPolicy (PUT /2015-02-01/file-systems/{FileSystemId}/backup-policy, {"BackupPolicy":{"Status":...}})
  accepts ENABLED or DISABLED and returns the policy; DescribeBackupPolicy then returns that status (including
  DISABLED). ENABLING / DISABLING are states AWS reports, not values a caller may set (ValidationException).
- DescribeFileSystemPolicy, PutFileSystemPolicy and DescribeBackupPolicy on a file system that does not exist
  answer FileSystemNotFound (404).

moto 5.2: has no DeleteFileSystemPolicy and no PutBackupPolicy; its backup policy is a boolean fixed at creation
(ENABLED or PolicyNotFound, never DISABLED); the three reads/writes above raise a KeyError (HTTP 500, which SDK
clients retry as a server fault) for an unknown file system. This patch adds the two operations on moto's own
models and makes the unknown file system a FileSystemNotFound.

Source: https://docs.aws.amazon.com/efs/latest/ug/API_DeleteFileSystemPolicy.html, API_PutBackupPolicy.html,
API_DescribeBackupPolicy.html and API_DescribeFileSystemPolicy.html (same folder; FileSystemNotFound is 404).
"""

import json

from moto.efs.exceptions import FileSystemNotFound, PolicyNotFound
from moto.efs.models import EFSBackend, FileSystem
from moto.efs.responses import EFSResponse
from moto.core.exceptions import JsonRESTError


class ValidationException(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("ValidationException", message)


def _file_system(backend: EFSBackend, file_system_id: str) -> FileSystem:
    file_system = backend.file_systems_by_id.get(file_system_id)
    if file_system is None:
        raise FileSystemNotFound(file_system_id)
    return file_system


def apply() -> None:
    def backup_policy(self):
        # A status set through PutBackupPolicy wins over moto's creation-time boolean.
        status = getattr(self, "_backup_status", None)
        if status is not None:
            return {"Status": status}
        return {"Status": "ENABLED"} if self._backup else None

    FileSystem.backup_policy = property(backup_policy)

    def describe_backup_policy(self, file_system_id):
        policy = _file_system(self, file_system_id).backup_policy
        if not policy:
            raise PolicyNotFound("None")
        return policy

    def put_backup_policy(self, file_system_id, status):
        if status not in ("ENABLED", "DISABLED"):
            raise ValidationException(
                f"1 validation error detected: Value '{status}' at 'backupPolicy.status' failed to satisfy "
                "constraint: Member must satisfy enum value set: [ENABLED, DISABLED]"
            )
        file_system = _file_system(self, file_system_id)
        file_system._backup_status = status
        return file_system.backup_policy

    original_describe_policy = EFSBackend.describe_file_system_policy
    original_put_policy = EFSBackend.put_file_system_policy

    def describe_file_system_policy(self, file_system_id):
        _file_system(self, file_system_id)
        return original_describe_policy(self, file_system_id)

    def put_file_system_policy(self, file_system_id, policy, bypass_policy_lockout_safety_check):
        _file_system(self, file_system_id)
        return original_put_policy(self, file_system_id, policy, bypass_policy_lockout_safety_check)

    def delete_file_system_policy(self, file_system_id):
        _file_system(self, file_system_id).file_system_policy = None

    EFSBackend.describe_backup_policy = describe_backup_policy
    EFSBackend.put_backup_policy = put_backup_policy
    EFSBackend.describe_file_system_policy = describe_file_system_policy
    EFSBackend.put_file_system_policy = put_file_system_policy
    EFSBackend.delete_file_system_policy = delete_file_system_policy

    def response_put_backup_policy(self):
        file_system_id = self._get_param("FileSystemId")
        status = (self._get_param("BackupPolicy") or {}).get("Status")
        policy = self.efs_backend.put_backup_policy(file_system_id, status)
        return json.dumps({"BackupPolicy": policy}), {"Content-Type": "application/json"}

    def response_delete_file_system_policy(self):
        file_system_id = self._get_param("FileSystemId")
        self.efs_backend.delete_file_system_policy(file_system_id)
        return "{}", {"status": 200, "Content-Type": "application/json"}

    EFSResponse.put_backup_policy = response_put_backup_policy
    EFSResponse.delete_file_system_policy = response_delete_file_system_policy

"""AWS Backup on-demand backup and restore jobs for EFS, recovery point lifecycles and vault access policies.

Sources: the AWS Backup API reference for StartBackupJob, DescribeBackupJob, StartRestoreJob, DescribeRestoreJob,
DescribeRecoveryPoint, DeleteRecoveryPoint, UpdateRecoveryPointLifecycle and Put/Get/DeleteBackupVaultAccessPolicy
(https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartBackupJob.html, ...), "Restoring an Amazon EFS
file system" (restoring-efs.html, the EFS restore metadata) and "Vault access policies"
(create-a-vault-access-policy.html) in the AWS Backup Developer Guide.

AWS: StartBackupJob (PUT /backup-jobs) backs a resource up into a vault and returns a job id and the recovery
point ARN; the same IdempotencyToken returns the same job. Its Lifecycle (DeleteAfterDays; MoveToColdStorageAfterDays
at least 90 days before deletion) and RecoveryPointTags go to the recovery point. DescribeBackupJob reports the job
moving CREATED -> RUNNING -> COMPLETED (or FAILED / ABORTED / EXPIRED, with a StatusMessage). StartRestoreJob
(PUT /restore-jobs) restores a recovery point; for EFS with metadata newFileSystem=true it creates a new file system
(Encrypted / KmsKeyId / PerformanceMode / CreationToken from the metadata; the metadata has no throughput setting,
so the new file system has CreateFileSystem's default, Bursting) and puts the data in an
aws-backup-restore_<timestamp> directory at its root; DescribeRestoreJob reports PENDING -> RUNNING -> COMPLETED
with CreatedResourceArn. DescribeRecoveryPoint describes a point with its Lifecycle and CalculatedLifecycle.DeleteAt.
A vault access policy is a resource policy on the vault; a Deny in it applies to every caller it matches, whatever
their identity policies allow (DeleteRecoveryPoint and UpdateRecoveryPointLifecycle answer AccessDeniedException).

moto 5.2: has vaults and plans but none of these operations (and its ListTags misreads the JavaScript SDK's
/tags/ARN path, which has no trailing slash). This patch adds them on top of moto's own models:
the vault must exist, the resource must be a moto EFS file system, each Describe call advances a job one state
(so a caller's polling loop really loops), and a completed restore creates a real moto EFS file system. Of a vault
access policy it evaluates the Deny statements with Principal "*" on the actions above, with the condition
operators StringNotEquals / StringNotLike / ArnNotEquals / ArnNotLike on aws:PrincipalArn (the caller's IAM user,
role for an assumed role, or the account root for moto's default credentials): what EFS Guard's vault policy uses.

Test hook, honoured only here (never by EFS Guard): a source file system tagged ``emulator:backup=fail`` makes
its backup job end FAILED, as a backup of an unreachable resource does in AWS.

Source: https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartBackupJob.html, API_DescribeBackupJob.html,
API_StartRestoreJob.html, API_DescribeRestoreJob.html (same folder) and https://docs.aws.amazon.com/aws-
backup/latest/devguide/restoring-efs.html (restored EFS data lands in aws-backup-restore_<timestamp>).
"""

import fnmatch
import json
import time
import uuid
from urllib.parse import unquote

from moto.backup import urls as backup_urls
from moto.backup.exceptions import InvalidParameterValueException, ResourceNotFoundException
from moto.backup.models import BackupBackend
from moto.backup.responses import BackupResponse
from moto.core.exceptions import JsonRESTError
from moto.iam.access_control import create_access_key
from moto.efs.models import efs_backends

FAIL_TAG = "emulator:backup"

BACKUP_STATES = ["CREATED", "RUNNING", "COMPLETED"]
RESTORE_STATES = ["PENDING", "RUNNING", "COMPLETED"]


def _jobs(backend: BackupBackend) -> dict:
    if not hasattr(backend, "_efs_guard_jobs"):
        backend._efs_guard_jobs = {"backup": {}, "restore": {}, "points": {}}
    return backend._efs_guard_jobs


def _efs(backend: BackupBackend):
    return efs_backends[backend.account_id][backend.region_name]


def _file_system_from_arn(backend: BackupBackend, arn: str):
    fsid = arn.rsplit("/", 1)[-1]
    fs = _efs(backend).file_systems_by_id.get(fsid)
    if fs is None or ":elasticfilesystem:" not in arn:
        raise InvalidParameterValueException(f"Invalid resource ARN or resource not found: {arn}")
    return fs


def _lifecycle(lifecycle) -> dict | None:
    if not lifecycle:
        return None
    delete = lifecycle.get("DeleteAfterDays")
    cold = lifecycle.get("MoveToColdStorageAfterDays")
    if delete is not None and (not isinstance(delete, int) or delete < 1):
        raise InvalidParameterValueException("Lifecycle.DeleteAfterDays must be a positive number of days")
    if cold is not None and delete is not None and delete < cold + 90:
        raise InvalidParameterValueException(
            "Lifecycle.DeleteAfterDays must be at least 90 days after MoveToColdStorageAfterDays"
        )
    return {k: v for k, v in (("MoveToColdStorageAfterDays", cold), ("DeleteAfterDays", delete)) if v is not None}


def start_backup_job(
    self: BackupBackend, vault_name, resource_arn, iam_role_arn, idempotency_token=None, lifecycle=None, tags=None
):
    vault = self.describe_backup_vault(vault_name)
    fs = _file_system_from_arn(self, resource_arn)
    if not iam_role_arn:
        raise InvalidParameterValueException("IamRoleArn is required")
    if idempotency_token:
        for job in _jobs(self)["backup"].values():
            if job.get("_token") == idempotency_token and job["ResourceArn"] == resource_arn:
                return job
    fs_tags = {t["Key"]: t["Value"] for t in _efs(self).list_tags_for_resource(fs.file_system_id)}
    job_id = str(uuid.uuid4()).upper()
    point_arn = f"arn:aws:backup:{self.region_name}:{self.account_id}:recovery-point:{uuid.uuid4()}"
    now = time.time()
    job = {
        "BackupJobId": job_id,
        "AccountId": self.account_id,
        "BackupVaultName": vault.backup_vault_name,
        "BackupVaultArn": vault.backup_vault_arn,
        "RecoveryPointArn": point_arn,
        "ResourceArn": resource_arn,
        "ResourceType": "EFS",
        "IamRoleArn": iam_role_arn,
        "CreationDate": now,
        "State": "CREATED",
        "PercentDone": "0.0",
        "BackupSizeInBytes": fs._size_value,
        "_token": idempotency_token,
        "_lifecycle": _lifecycle(lifecycle),
        "_fail": fs_tags.get(FAIL_TAG) == "fail",
        "_fs": {
            "FileSystemId": fs.file_system_id,
            "PerformanceMode": fs.performance_mode,
            "ThroughputMode": fs.throughput_mode,
            "Encrypted": fs.encrypted,
        },
    }
    _jobs(self)["backup"][job_id] = job
    if tags:
        self.tag_resource(point_arn, tags)
    return job


def _public(job: dict) -> dict:
    return {k: v for k, v in job.items() if not k.startswith("_")}


def describe_backup_job(self: BackupBackend, job_id):
    job = _jobs(self)["backup"].get(job_id)
    if job is None:
        raise ResourceNotFoundException(f"Cannot find backup job {job_id}")
    described = _public(job)
    if job["State"] == "CREATED":
        job["State"] = "RUNNING"
        job["PercentDone"] = "50.0"
    elif job["State"] == "RUNNING":
        job["CompletionDate"] = time.time()
        if job["_fail"]:
            job["State"] = "FAILED"
            job["StatusMessage"] = "Backup job failed: the resource could not be read (emulator:backup=fail)"
        else:
            job["State"] = "COMPLETED"
            job["PercentDone"] = "100.0"
            vault = self.vaults.get(job["BackupVaultName"])
            if vault is not None:
                vault.num_of_recovery_points += 1
            _jobs(self)["points"][job["RecoveryPointArn"]] = job
    return described


def start_restore_job(self: BackupBackend, point_arn, metadata, iam_role_arn, resource_type):
    point = _jobs(self)["points"].get(point_arn)
    if point is None:
        raise ResourceNotFoundException(f"Recovery point {point_arn} not found or not completed")
    if not iam_role_arn:
        raise InvalidParameterValueException("IamRoleArn is required")
    metadata = metadata or {}
    if metadata.get("newFileSystem", "false") != "true":
        raise InvalidParameterValueException("only newFileSystem=true restores are emulated")
    encrypted = str(metadata.get("Encrypted", "false")).lower() == "true"
    if metadata.get("KmsKeyId") and not encrypted:
        raise InvalidParameterValueException("KmsKeyId requires Encrypted=true")
    job_id = str(uuid.uuid4()).upper()
    job = {
        "RestoreJobId": job_id,
        "AccountId": self.account_id,
        "RecoveryPointArn": point_arn,
        "CreationDate": time.time(),
        "Status": "PENDING",
        "PercentDone": "0.0",
        "IamRoleArn": iam_role_arn,
        "ResourceType": resource_type or "EFS",
        "_metadata": metadata,
        "_source": point["_fs"],
    }
    _jobs(self)["restore"][job_id] = job
    return job


def describe_restore_job(self: BackupBackend, job_id):
    job = _jobs(self)["restore"].get(job_id)
    if job is None:
        raise ResourceNotFoundException(f"Cannot find restore job {job_id}")
    described = _public(job)
    if job["Status"] == "PENDING":
        job["Status"] = "RUNNING"
    elif job["Status"] == "RUNNING":
        md = job["_metadata"]
        fs = _efs(self).create_file_system(
            creation_token=md.get("CreationToken") or f"restore-{job_id}",
            performance_mode=md.get("PerformanceMode") or job["_source"]["PerformanceMode"],
            encrypted=str(md.get("Encrypted", "false")).lower() == "true",
            kms_key_id=md.get("KmsKeyId"),
            # The EFS restore metadata has no throughput setting: CreateFileSystem's default.
            throughput_mode="bursting",
            provisioned_throughput_in_mibps=None,
            availability_zone_name=None,
            backup=False,
            tags=[],
        )
        job["Status"] = "COMPLETED"
        job["PercentDone"] = "100.0"
        job["CompletionDate"] = time.time()
        job["CreatedResourceArn"] = fs.file_system_arn
    return described


def _point(self: BackupBackend, vault_name, point_arn):
    point = _jobs(self)["points"].get(point_arn)
    if point is None or point["BackupVaultName"] != vault_name:
        raise ResourceNotFoundException(f"Recovery point {point_arn} not found in {vault_name}")
    return point


def describe_recovery_point(self: BackupBackend, vault_name, point_arn):
    point = _point(self, vault_name, point_arn)
    out = {
        "RecoveryPointArn": point_arn,
        "BackupVaultName": vault_name,
        "BackupVaultArn": point["BackupVaultArn"],
        "ResourceArn": point["ResourceArn"],
        "ResourceType": "EFS",
        "Status": "COMPLETED",
        "CreationDate": point["CreationDate"],
        "CompletionDate": point.get("CompletionDate"),
        "BackupSizeInBytes": point["BackupSizeInBytes"],
        "IamRoleArn": point["IamRoleArn"],
        "EncryptionKeyArn": self.vaults[vault_name].encryption_key_arn,
        "IsEncrypted": True,
    }
    lifecycle = point.get("_lifecycle")
    if lifecycle:
        out["Lifecycle"] = lifecycle
        calculated = {}
        if "DeleteAfterDays" in lifecycle:
            calculated["DeleteAt"] = point["CreationDate"] + lifecycle["DeleteAfterDays"] * 86400
        if "MoveToColdStorageAfterDays" in lifecycle:
            calculated["MoveToColdStorageAt"] = point["CreationDate"] + lifecycle["MoveToColdStorageAfterDays"] * 86400
        out["CalculatedLifecycle"] = calculated
    return out


class AccessDeniedException(JsonRESTError):
    code = 403

    def __init__(self, message: str):
        super().__init__("AccessDeniedException", message)


def _policies(self: BackupBackend) -> dict:
    if not hasattr(self, "_efs_guard_vault_policies"):
        self._efs_guard_vault_policies = {}
    return self._efs_guard_vault_policies


def put_vault_access_policy(self: BackupBackend, vault_name, policy):
    self.describe_backup_vault(vault_name)
    try:
        json.loads(policy)
    except (TypeError, ValueError):
        raise InvalidParameterValueException("Policy is not valid JSON")
    _policies(self)[vault_name] = policy


def get_vault_access_policy(self: BackupBackend, vault_name):
    vault = self.describe_backup_vault(vault_name)
    policy = _policies(self).get(vault_name)
    if policy is None:
        raise ResourceNotFoundException(f"Backup vault {vault_name} has no access policy")
    return {"BackupVaultName": vault_name, "BackupVaultArn": vault.backup_vault_arn, "Policy": policy}


def _principal_arn(account_id: str, headers) -> str:
    """aws:PrincipalArn of the caller: the IAM user, the role of an assumed role, or the account root."""
    auth = headers.get("Authorization", "")
    key = auth.split("Credential=", 1)[1].split("/", 1)[0] if "Credential=" in auth else ""
    try:
        arn = create_access_key(account_id=account_id, partition="aws", access_key_id=key, headers=headers).arn
    except Exception:
        return f"arn:aws:iam::{account_id}:root"
    if ":assumed-role/" in arn:
        role = arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
        return f"arn:aws:iam::{account_id}:role/{role}"
    return arn


def _condition_holds(operator: str, actual: str, expected) -> bool:
    values = expected if isinstance(expected, list) else [expected]
    match = lambda v: fnmatch.fnmatchcase(actual, v)  # noqa: E731
    if operator in ("StringNotEquals", "ArnNotEquals"):
        return actual not in values
    if operator in ("StringNotLike", "ArnNotLike"):
        return not any(match(v) for v in values)
    if operator in ("StringEquals", "ArnEquals"):
        return actual in values
    if operator in ("StringLike", "ArnLike"):
        return any(match(v) for v in values)
    raise InvalidParameterValueException(f"condition operator {operator} is not emulated")


def _check_vault_policy(self: BackupBackend, vault_name, action, point_arn, headers):
    policy = _policies(self).get(vault_name)
    if policy is None:
        return
    principal = _principal_arn(self.account_id, headers)
    for statement in json.loads(policy).get("Statement", []):
        if statement.get("Effect") != "Deny" or statement.get("Principal") not in ("*", {"AWS": "*"}):
            continue
        actions = statement.get("Action")
        if action not in (actions if isinstance(actions, list) else [actions]):
            continue
        resources = statement.get("Resource", "*")
        if not any(fnmatch.fnmatchcase(point_arn, r) for r in (resources if isinstance(resources, list) else [resources])):
            continue
        holds = all(
            _condition_holds(operator, principal if key == "aws:PrincipalArn" else "", expected)
            for operator, keys in (statement.get("Condition") or {}).items()
            for key, expected in keys.items()
        )
        if holds:
            raise AccessDeniedException(
                f"User: {principal} is not authorized to perform: {action} on resource: {point_arn} with an explicit "
                "deny in a resource-based policy"
            )


def delete_recovery_point(self: BackupBackend, vault_name, point_arn, headers):
    _point(self, vault_name, point_arn)
    _check_vault_policy(self, vault_name, "backup:DeleteRecoveryPoint", point_arn, headers)
    del _jobs(self)["points"][point_arn]
    vault = self.vaults.get(vault_name)
    if vault is not None:
        vault.num_of_recovery_points -= 1


def update_recovery_point_lifecycle(self: BackupBackend, vault_name, point_arn, lifecycle, headers):
    point = _point(self, vault_name, point_arn)
    _check_vault_policy(self, vault_name, "backup:UpdateRecoveryPointLifecycle", point_arn, headers)
    point["_lifecycle"] = _lifecycle(lifecycle)
    return describe_recovery_point(self, vault_name, point_arn)


def _body(self) -> dict:
    return json.loads(self.body) if self.body else {}


def r_start_backup_job(self):
    p = _body(self)
    job = self.backup_backend.start_backup_job(
        p.get("BackupVaultName"),
        p.get("ResourceArn"),
        p.get("IamRoleArn"),
        p.get("IdempotencyToken"),
        p.get("Lifecycle"),
        p.get("RecoveryPointTags"),
    )
    return json.dumps(
        {
            "BackupJobId": job["BackupJobId"],
            "RecoveryPointArn": job["RecoveryPointArn"],
            "CreationDate": job["CreationDate"],
            "IsParent": False,
        }
    )


def r_describe_backup_job(self):
    job_id = unquote(self.path.rstrip("/").split("/")[-1])
    return json.dumps(self.backup_backend.describe_backup_job(job_id))


def r_start_restore_job(self):
    p = _body(self)
    job = self.backup_backend.start_restore_job(
        p.get("RecoveryPointArn"), p.get("Metadata"), p.get("IamRoleArn"), p.get("ResourceType")
    )
    return json.dumps({"RestoreJobId": job["RestoreJobId"]})


def r_describe_restore_job(self):
    job_id = unquote(self.path.rstrip("/").split("/")[-1])
    return json.dumps(self.backup_backend.describe_restore_job(job_id))


def _vault_and_point(self):
    parts = self.path.split("/")
    vault = unquote(parts[parts.index("backup-vaults") + 1])
    point = unquote(parts[parts.index("recovery-points") + 1]) if "recovery-points" in parts else None
    return vault, point


def r_describe_recovery_point(self):
    vault, point = _vault_and_point(self)
    return json.dumps(self.backup_backend.describe_recovery_point(vault, point))


def r_delete_recovery_point(self):
    vault, point = _vault_and_point(self)
    self.backup_backend.delete_recovery_point(vault, point, self.headers)
    return ""


def r_update_recovery_point_lifecycle(self):
    vault, point = _vault_and_point(self)
    out = self.backup_backend.update_recovery_point_lifecycle(
        vault, point, _body(self).get("Lifecycle"), self.headers
    )
    return json.dumps(
        {
            "BackupVaultArn": out["BackupVaultArn"],
            "RecoveryPointArn": point,
            "Lifecycle": out.get("Lifecycle", {}),
            "CalculatedLifecycle": out.get("CalculatedLifecycle", {}),
        }
    )


def r_vault_access_policy(self):
    vault, _ = _vault_and_point(self)
    if self.method == "PUT":
        self.backup_backend.put_vault_access_policy(vault, _body(self).get("Policy"))
        return ""
    if self.method == "DELETE":
        self.backup_backend.describe_backup_vault(vault)
        _policies(self.backup_backend).pop(vault, None)
        return ""
    return json.dumps(self.backup_backend.get_vault_access_policy(vault))


def r_list_tags(self):
    # moto takes the ARN from a trailing-slash path (/tags/ARN/); the JavaScript SDK sends /tags/ARN.
    resource_arn = unquote(self.path.split("/tags/", 1)[1].split("?", 1)[0].rstrip("/"))
    return json.dumps({"Tags": self.backup_backend.list_tags(resource_arn=resource_arn)})


def r_recovery_point(self):
    if self.method == "DELETE":
        return r_delete_recovery_point(self)
    if self.method == "POST":
        return r_update_recovery_point_lifecycle(self)
    return r_describe_recovery_point(self)


def apply() -> None:
    BackupBackend.start_backup_job = start_backup_job
    BackupBackend.describe_backup_job = describe_backup_job
    BackupBackend.start_restore_job = start_restore_job
    BackupBackend.describe_restore_job = describe_restore_job
    BackupBackend.describe_recovery_point = describe_recovery_point
    BackupBackend.delete_recovery_point = delete_recovery_point
    BackupBackend.update_recovery_point_lifecycle = update_recovery_point_lifecycle
    BackupBackend.put_vault_access_policy = put_vault_access_policy
    BackupBackend.get_vault_access_policy = get_vault_access_policy
    BackupResponse.start_backup_job = r_start_backup_job
    BackupResponse.describe_backup_job = r_describe_backup_job
    BackupResponse.start_restore_job = r_start_restore_job
    BackupResponse.describe_restore_job = r_describe_restore_job
    BackupResponse.describe_recovery_point = r_recovery_point
    BackupResponse.delete_recovery_point = r_recovery_point
    BackupResponse.update_recovery_point_lifecycle = r_recovery_point
    BackupResponse.list_tags = r_list_tags
    BackupResponse.put_backup_vault_access_policy = r_vault_access_policy
    BackupResponse.get_backup_vault_access_policy = r_vault_access_policy
    BackupResponse.delete_backup_vault_access_policy = r_vault_access_policy
    dispatch = BackupResponse.dispatch
    backup_urls.url_paths.update(
        {
            "{0}/backup-jobs/?$": dispatch,
            "{0}/backup-jobs/(?P<backupJobId>[^/]+)/?$": dispatch,
            "{0}/restore-jobs/?$": dispatch,
            "{0}/restore-jobs/(?P<restoreJobId>[^/]+)/?$": dispatch,
            "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/(?P<recoveryPointArn>.+)$": dispatch,
            "{0}/backup-vaults/(?P<name>[^/]+)/access-policy/?$": dispatch,
        }
    )

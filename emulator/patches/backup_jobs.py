"""AWS Backup on-demand backup and restore jobs for EFS.

AWS: StartBackupJob (PUT /backup-jobs) backs a resource up into a vault and returns a job id and the recovery
point ARN; DescribeBackupJob reports the job moving CREATED -> RUNNING -> COMPLETED (or FAILED / ABORTED /
EXPIRED, with a StatusMessage). StartRestoreJob (PUT /restore-jobs) restores a recovery point; for EFS with
metadata newFileSystem=true it creates a new file system (Encrypted / KmsKeyId / PerformanceMode from the
metadata) and puts the data in an aws-backup-restore_<timestamp> directory at its root; DescribeRestoreJob
reports PENDING -> RUNNING -> COMPLETED with CreatedResourceArn. DescribeRecoveryPoint describes a point.

moto 5.2: has vaults and plans but none of these operations. This patch adds them on top of moto's own models:
the vault must exist, the resource must be a moto EFS file system, each Describe call advances a job one state
(so a caller's polling loop really loops), and a completed restore creates a real moto EFS file system.

Test hook, honoured only here (never by EFS Guard): a source file system tagged ``emulator:backup=fail`` makes
its backup job end FAILED, as a backup of an unreachable resource does in AWS.

Source: https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartBackupJob.html, API_DescribeBackupJob.html,
API_StartRestoreJob.html, API_DescribeRestoreJob.html (same folder) and https://docs.aws.amazon.com/aws-
backup/latest/devguide/restoring-efs.html (restored EFS data lands in aws-backup-restore_<timestamp>).
"""

import json
import time
import uuid
from urllib.parse import unquote

from moto.backup import urls as backup_urls
from moto.backup.exceptions import InvalidParameterValueException, ResourceNotFoundException
from moto.backup.models import BackupBackend
from moto.backup.responses import BackupResponse
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


def start_backup_job(self: BackupBackend, vault_name, resource_arn, iam_role_arn):
    vault = self.describe_backup_vault(vault_name)
    fs = _file_system_from_arn(self, resource_arn)
    if not iam_role_arn:
        raise InvalidParameterValueException("IamRoleArn is required")
    tags = {t["Key"]: t["Value"] for t in _efs(self).list_tags_for_resource(fs.file_system_id)}
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
        "_fail": tags.get(FAIL_TAG) == "fail",
        "_fs": {
            "FileSystemId": fs.file_system_id,
            "PerformanceMode": fs.performance_mode,
            "ThroughputMode": fs.throughput_mode,
            "Encrypted": fs.encrypted,
        },
    }
    _jobs(self)["backup"][job_id] = job
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
            throughput_mode=job["_source"]["ThroughputMode"],
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


def describe_recovery_point(self: BackupBackend, vault_name, point_arn):
    point = _jobs(self)["points"].get(point_arn)
    if point is None or point["BackupVaultName"] != vault_name:
        raise ResourceNotFoundException(f"Recovery point {point_arn} not found in {vault_name}")
    return {
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
    }


def _body(self) -> dict:
    return json.loads(self.body) if self.body else {}


def r_start_backup_job(self):
    p = _body(self)
    job = self.backup_backend.start_backup_job(p.get("BackupVaultName"), p.get("ResourceArn"), p.get("IamRoleArn"))
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


def r_describe_recovery_point(self):
    parts = self.path.split("/")
    vault = unquote(parts[parts.index("backup-vaults") + 1])
    point = unquote(parts[parts.index("recovery-points") + 1])
    return json.dumps(self.backup_backend.describe_recovery_point(vault, point))


def apply() -> None:
    BackupBackend.start_backup_job = start_backup_job
    BackupBackend.describe_backup_job = describe_backup_job
    BackupBackend.start_restore_job = start_restore_job
    BackupBackend.describe_restore_job = describe_restore_job
    BackupBackend.describe_recovery_point = describe_recovery_point
    BackupResponse.start_backup_job = r_start_backup_job
    BackupResponse.describe_backup_job = r_describe_backup_job
    BackupResponse.start_restore_job = r_start_restore_job
    BackupResponse.describe_restore_job = r_describe_restore_job
    BackupResponse.describe_recovery_point = r_describe_recovery_point
    dispatch = BackupResponse.dispatch
    backup_urls.url_paths.update(
        {
            "{0}/backup-jobs/?$": dispatch,
            "{0}/backup-jobs/(?P<backupJobId>[^/]+)/?$": dispatch,
            "{0}/restore-jobs/?$": dispatch,
            "{0}/restore-jobs/(?P<restoreJobId>[^/]+)/?$": dispatch,
            "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/(?P<recoveryPointArn>.+)$": dispatch,
        }
    )

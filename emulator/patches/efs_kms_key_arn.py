"""EFS file systems report their KMS key as a key ARN, and the default key is AWS managed.

AWS: CreateFileSystem accepts KmsKeyId as a key id, key ARN, alias name or alias ARN, and DescribeFileSystems always
returns the key ARN (arn:aws:kms:REGION:ACCOUNT:key/UUID). An encrypted file system created without KmsKeyId uses the
AWS managed key aws/elasticfilesystem (KeyManager AWS), which AWS creates in the account on first use.

moto 5.2: stores KmsKeyId exactly as the caller sent it, leaves it empty for the default key, and does not check it.
This patch resolves the key to its ARN through moto's KMS backend, creates the AWS managed aws/elasticfilesystem key
(KeyManager AWS, rotation on) on first use. A key moto's KMS does not know is kept as sent.

Source: https://docs.aws.amazon.com/efs/latest/ug/API_CreateFileSystem.html (KmsKeyId: id, ARN, alias or alias ARN;
default aws/elasticfilesystem) and https://docs.aws.amazon.com/efs/latest/ug/API_FileSystemDescription.html
(KmsKeyId is the key's ARN).
"""

from moto.efs.models import EFSBackend
from moto.kms.models import kms_backends

DEFAULT_ALIAS = "alias/aws/elasticfilesystem"


def _kms(backend: EFSBackend):
    return kms_backends[backend.account_id][backend.region_name]


def _default_key(kms):
    for key in kms.keys.values():
        if DEFAULT_ALIAS in getattr(key, "aliases", {}):
            return key
    key = kms.create_key(
        policy=None,
        key_usage="ENCRYPT_DECRYPT",
        key_spec="SYMMETRIC_DEFAULT",
        description="Default key that protects my EFS file systems when no other key is defined",
        tags=None,
    )
    key.key_manager = "AWS"
    key.key_rotation_status = True
    kms.create_alias(key.id, DEFAULT_ALIAS)
    return key


def _resolve(kms, key_id: str):
    try:
        return kms.describe_key(key_id)
    except Exception:
        pass
    alias = key_id
    if key_id.startswith("arn:") and ":alias/" in key_id:
        alias = "alias/" + key_id.split(":alias/", 1)[1]
    if alias.startswith("alias/"):
        for key in kms.keys.values():
            if alias in getattr(key, "aliases", {}):
                return key
    return None


def apply() -> None:
    original = EFSBackend.create_file_system

    def create_file_system(self, *args, **kwargs):
        encrypted = kwargs.get("encrypted")
        kms_key_id = kwargs.get("kms_key_id")
        if encrypted:
            kms = _kms(self)
            if kms_key_id:
                key = _resolve(kms, kms_key_id)
                if key is not None:
                    kwargs["kms_key_id"] = key.arn
            else:
                kwargs["kms_key_id"] = _default_key(kms).arn
        return original(self, *args, **kwargs)

    EFSBackend.create_file_system = create_file_system

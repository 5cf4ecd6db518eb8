"""AWS managed KMS keys, and EFS encryption with the default key.

AWS:
- The keys behind the reserved aliases (alias/aws/elasticfilesystem, alias/aws/ebs, ...) are AWS managed keys:
  DescribeKey answers KeyManager "AWS" (customer keys answer "CUSTOMER"), and they rotate every year
  (GetKeyRotationStatus is true).
- CreateFileSystem with Encrypted=true and no KmsKeyId encrypts with the AWS managed key for EFS
  (alias/aws/elasticfilesystem, created in the account on first use); DescribeFileSystems returns that key's ARN
  as KmsKeyId.

moto 5.2: creates the key behind a reserved alias on first use but as a customer key (KeyManager always CUSTOMER,
rotation off), and leaves KmsKeyId empty for an encrypted file system created without one, so "encrypted with
the AWS managed key" cannot be told from "encrypted with a customer key". This patch marks the reserved-alias keys
as AWS managed and gives such a file system the EFS default key, on moto's own KMS backend.

Source: https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key (AWS managed keys,
KeyManager AWS, rotated every year) and https://docs.aws.amazon.com/efs/latest/ug/encryption-at-rest.html (the
default aws/elasticfilesystem key).
"""

from moto.efs.models import EFSBackend
from moto.kms.models import KmsBackend, kms_backends

EFS_DEFAULT_ALIAS = "alias/aws/elasticfilesystem"


def apply() -> None:
    original_generate = KmsBackend._generate_default_keys

    def _generate_default_keys(self, alias_name):
        key_id = original_generate(self, alias_name)
        if key_id is not None:
            key = self.keys[key_id]
            key.key_manager = "AWS"
            key.key_rotation_status = True
            key.description = f"Default key that protects my {alias_name.split('/')[-1]} resources when no other key is defined"
        return key_id

    KmsBackend._generate_default_keys = _generate_default_keys

    original_create = EFSBackend.create_file_system

    def create_file_system(self, *args, **kwargs):
        file_system = original_create(self, *args, **kwargs)
        if file_system.encrypted and not file_system.kms_key_id:
            kms = kms_backends[self.account_id][self.region_name]
            key_id = kms.get_key_id_from_alias(EFS_DEFAULT_ALIAS)
            file_system.kms_key_id = kms.keys[key_id].arn
        return file_system

    EFSBackend.create_file_system = create_file_system

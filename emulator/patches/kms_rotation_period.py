"""KMS automatic rotation with a rotation period.

AWS: EnableKeyRotation takes an optional RotationPeriodInDays (90-2560, default 365); calling it again on a key
whose rotation is already on changes the period. GetKeyRotationStatus returns KeyRotationEnabled and, when rotation
is on, RotationPeriodInDays and NextRotationDate. A period outside 90-2560 is rejected with ValidationException.
DisableKeyRotation turns rotation off; the period is no longer reported.

moto 5.2: EnableKeyRotation ignores RotationPeriodInDays and GetKeyRotationStatus returns KeyRotationEnabled only.
This patch stores the period on the key and reports it, and validates its range.

Source: https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html and
https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyRotationStatus.html.
"""

import json
from datetime import timedelta

from moto.core.exceptions import JsonRESTError
from moto.core.utils import unix_time, utcnow
from moto.kms.models import KmsBackend
from moto.kms.responses import KmsResponse

DEFAULT_PERIOD = 365


def apply() -> None:
    def enable_key_rotation(self) -> str:
        key_id = self._get_param("KeyId")
        period = self._get_param("RotationPeriodInDays")
        self._validate_cmk_id(key_id)
        if period is not None and not (90 <= int(period) <= 2560):
            raise JsonRESTError(
                "ValidationException",
                f"1 validation error detected: Value '{period}' at 'rotationPeriodInDays' failed to satisfy "
                "constraint: Member must have value between 90 and 2560",
            )
        self.kms_backend.enable_key_rotation(key_id)
        key = self.kms_backend.keys[self.kms_backend.get_key_id(key_id)]
        key.rotation_period_in_days = int(period) if period is not None else DEFAULT_PERIOD
        key.rotation_enabled_at = utcnow()
        return json.dumps(None)

    def get_key_rotation_status(self) -> str:
        key_id = self._get_param("KeyId")
        self._validate_cmk_id(key_id)
        key = self.kms_backend.keys[self.kms_backend.get_key_id(key_id)]
        body = {"KeyId": key.arn, "KeyRotationEnabled": bool(key.key_rotation_status)}
        if key.key_rotation_status:
            # A key made rotating without EnableKeyRotation (an AWS managed key) has no period set: the default.
            period = getattr(key, "rotation_period_in_days", None) or DEFAULT_PERIOD
            enabled_at = getattr(key, "rotation_enabled_at", None) or utcnow()
            body["RotationPeriodInDays"] = period
            body["NextRotationDate"] = unix_time(enabled_at + timedelta(days=period))
        return json.dumps(body)

    original_disable = KmsBackend.disable_key_rotation

    def disable_key_rotation(self, key_id: str) -> None:
        original_disable(self, key_id)
        key = self.keys[self.get_key_id(key_id)]
        key.rotation_period_in_days = None
        key.rotation_enabled_at = None

    KmsResponse.enable_key_rotation = enable_key_rotation
    KmsResponse.get_key_rotation_status = get_key_rotation_status
    KmsBackend.disable_key_rotation = disable_key_rotation

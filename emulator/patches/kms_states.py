"""KMS key states and eventual consistency.

Follows: "Key states of AWS KMS keys" (https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html) and
"AWS KMS eventual consistency" (https://docs.aws.amazon.com/kms/latest/developerguide/programming-eventual-consistency.html).

AWS, key states: an operation that the key's state does not allow fails with KMSInvalidStateException (DisabledException
where the key is merely disabled). EnableKey and DisableKey on a key pending deletion; CancelKeyDeletion on a key that
is not pending deletion; ScheduleKeyDeletion on a key already pending deletion; EnableKeyRotation and
DisableKeyRotation on a key that is disabled (DisabledException) or pending deletion. While a key is pending deletion
GetKeyRotationStatus reports rotation off (the setting comes back when the deletion is cancelled).

AWS, eventual consistency: a change "may not be immediately visible to subsequent commands"; it usually propagates
within seconds, sometimes minutes, and meanwhile calls can fail with KMSInvalidStateException or NotFoundException.
A DescribeKey right after EnableKey can still say Disabled; an EnableKey right after CancelKeyDeletion can still find
the key pending deletion.

moto 5.2: no state is checked (EnableKey revives a key pending deletion) and every change is visible at once.

This patch checks the states above. It also models the propagation delay, off by default (the emulator is then
strongly consistent, as before): after POST /moto-api/config {"kms": {"eventual_consistency_seconds": S}}, for S
seconds after a change to a key, DescribeKey and GetKeyRotationStatus answer the key as it was before the first
change of that burst, and the state checks of further changes see that older state too. POST /moto-api/reset
turns it off again.
"""

import threading
import time
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.kms.responses import KmsResponse
from moto.moto_api._internal.models import MotoAPIBackend

SETTINGS: dict[str, float] = {"eventual_consistency_seconds": 0.0}

# Key attributes that make up what a reader sees of a key's state and rotation.
VISIBLE = (
    "key_state",
    "enabled",
    "deletion_date",
    "key_rotation_status",
    "rotation_period_in_days",
    "rotation_enabled_at",
)

# (account, region, key id) -> (stale until, the attributes as they were before the burst of changes).
STALE: dict[tuple[str, str, str], tuple[float, dict[str, Any]]] = {}
LOCK = threading.RLock()


class KMSInvalidStateException(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("KMSInvalidStateException", message)


class DisabledException(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("DisabledException", message)


def _snapshot(key: Any) -> dict[str, Any]:
    return {name: getattr(key, name, None) for name in VISIBLE}


def _key(response: KmsResponse) -> Any | None:
    backend = response.kms_backend
    try:
        key_id = backend.any_id_to_key_id(response._get_param("KeyId"))
    except Exception:
        return None
    return backend.keys.get(key_id)


def _where(response: KmsResponse, key: Any) -> tuple[str, str, str]:
    return (response.current_account, response.region, key.id)


def _visible(response: KmsResponse, key: Any) -> dict[str, Any]:
    """What a replica that has not caught up yet still sees of the key: the older state while stale."""
    entry = STALE.get(_where(response, key))
    if entry and entry[0] > time.monotonic():
        return entry[1]
    return _snapshot(key)


def _changed(response: KmsResponse, key: Any, before: dict[str, Any]) -> None:
    seconds = SETTINGS["eventual_consistency_seconds"]
    if seconds <= 0:
        return
    where = _where(response, key)
    entry = STALE.get(where)
    # A change inside a burst keeps the oldest state: readers catch up only once the whole burst has propagated.
    oldest = entry[1] if entry and entry[0] > time.monotonic() else before
    STALE[where] = (time.monotonic() + seconds, oldest)


def _refuse(key: Any, state: dict[str, Any], action: str) -> None:
    current = state["key_state"]
    arn = key.arn
    if action in ("enable_key", "disable_key") and current == "PendingDeletion":
        raise KMSInvalidStateException(f"{arn} is pending deletion.")
    if action == "cancel_key_deletion" and current != "PendingDeletion":
        raise KMSInvalidStateException(f"{arn} is not pending deletion.")
    if action == "schedule_key_deletion" and current == "PendingDeletion":
        raise KMSInvalidStateException(f"{arn} is pending deletion.")
    if action in ("enable_key_rotation", "disable_key_rotation"):
        if current == "Disabled":
            raise DisabledException(f"{arn} is disabled.")
        if current != "Enabled":
            word = "pending deletion" if current == "PendingDeletion" else current
            raise KMSInvalidStateException(f"{arn} is {word}.")


def _write(action: str, original: Any) -> Any:
    def handler(self: KmsResponse) -> Any:
        with LOCK:
            key = _key(self)
            if key is None:
                return original(self)  # moto's own NotFoundException
            _refuse(key, _visible(self, key), action)
            before = _snapshot(key)
            result = original(self)
            _changed(self, key, before)
            return result

    return handler


def _read(original: Any) -> Any:
    def handler(self: KmsResponse) -> Any:
        with LOCK:
            key = _key(self)
            if key is None:
                return original(self)
            shown = _visible(self, key)
            real = _snapshot(key)
            if shown["key_state"] == "PendingDeletion":
                # While pending deletion rotation reads as off; the setting itself is kept for a cancellation.
                shown = {**shown, "key_rotation_status": False}
            for name, value in shown.items():
                setattr(key, name, value)
            try:
                return original(self)
            finally:
                for name, value in real.items():
                    setattr(key, name, value)

    return handler


def apply() -> None:
    for action in (
        "enable_key",
        "disable_key",
        "cancel_key_deletion",
        "schedule_key_deletion",
        "enable_key_rotation",
        "disable_key_rotation",
    ):
        setattr(KmsResponse, action, _write(action, getattr(KmsResponse, action)))
    for action in ("describe_key", "get_key_rotation_status"):
        setattr(KmsResponse, action, _read(getattr(KmsResponse, action)))

    original_get = MotoAPIBackend.get_config
    original_set = MotoAPIBackend.set_config
    original_reset = MotoAPIBackend.reset

    def get_config(self: MotoAPIBackend) -> dict[str, Any]:
        return {**original_get(self), "kms": dict(SETTINGS)}

    def set_config(self: MotoAPIBackend, config: dict[str, Any]) -> None:
        original_set(self, config)
        if "kms" in config:
            SETTINGS["eventual_consistency_seconds"] = float(config["kms"].get("eventual_consistency_seconds", 0))

    def reset(self: MotoAPIBackend) -> None:
        original_reset(self)
        SETTINGS["eventual_consistency_seconds"] = 0.0
        STALE.clear()

    MotoAPIBackend.get_config = get_config
    MotoAPIBackend.set_config = set_config
    MotoAPIBackend.reset = reset

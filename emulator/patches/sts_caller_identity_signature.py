"""STS GetCallerIdentity checks the request's signature and its age.

AWS (AWS General Reference, "Signature Version 4 signing process" and "Elements of an AWS API request signature";
STS API Reference, GetCallerIdentity): every request is authenticated; GetCallerIdentity names the principal whose
credentials signed the request. A signature that does not match the request (a header or the body changed after
signing, a wrong secret or session token) is refused with SignatureDoesNotMatch / InvalidClientTokenId, and a
request whose X-Amz-Date is more than 15 minutes from the server's clock is refused ("Signature expired").
EFS Guard's approvals rest on this: an approver's statement is a signed GetCallerIdentity that the verify step sends.

moto 5.2.5: GetCallerIdentity looks the access key up and answers with its owner without checking the signature
or the time, unless IAM access control is enforced for the whole server. This patch checks both for every
GetCallerIdentity signed with credentials moto issued (an IAM user's access key, or an assumed role's temporary
credentials), as AWS does. Requests with credentials moto never issued keep moto's default answer (its `moto`
user), since the emulator's callers use dummy credentials.
"""

from datetime import datetime, timedelta, timezone

from moto.core.exceptions import SignatureDoesNotMatchError, _RESTError
from moto.iam.access_control import IAMRequest
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends
from moto.sts.responses import TokenResponse

MAX_AGE = timedelta(minutes=15)


class SignatureExpired(_RESTError):
    code = 403

    def __init__(self, signed: str, now: datetime) -> None:
        stamp = "%Y%m%dT%H%M%SZ"
        super().__init__(
            "SignatureDoesNotMatch",
            f"Signature expired: {signed} is now earlier than {(now - MAX_AGE).strftime(stamp)} "
            f"({now.strftime(stamp)} - 15 min.)",
        )


def _issued_by_moto(account_id: str, partition: str, authorization: str) -> bool:
    """True when the request's access key id is one moto issued (its signature can then be checked)."""
    if not authorization.startswith("AWS4-HMAC-SHA256 Credential="):
        return False
    key = authorization.split("Credential=", 1)[1].split("/", 1)[0]
    if any(r.access_key_id == key for r in sts_backends[account_id][partition].assumed_roles):
        return True
    users = iam_backends[account_id][partition].list_users("/", None, None)
    return any(k.access_key_id == key for u in users for k in u.access_keys)


def apply() -> None:
    original = TokenResponse.get_caller_identity

    def get_caller_identity(self):
        # Credentials moto never issued keep moto's default identity (see the docstring).
        if _issued_by_moto(self.current_account, self.partition, self.headers.get("Authorization", "")):
            path = self.raw_path
            query = self.uri.split("?", 1)[1] if "?" in self.uri else ""
            if query:
                path += "?" + query
            # A wrong session token raises InvalidClientTokenId here, a wrong signature below, as on AWS.
            request = IAMRequest(
                account_id=self.current_account,
                method=self.method,
                path=path,
                data=self.data,
                body=self.raw_body,
                headers=self.headers,
                action="GetCallerIdentity",
            )
            request.check_signature()
            signed = self.headers.get("X-Amz-Date", "")
            now = datetime.now(timezone.utc)
            try:
                at = datetime.strptime(signed, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
            except ValueError:
                raise SignatureDoesNotMatchError() from None
            if now - at > MAX_AGE or at - now > MAX_AGE:
                raise SignatureExpired(signed, now)
        return original(self)

    TokenResponse.get_caller_identity = get_caller_identity

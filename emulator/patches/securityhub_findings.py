"""Security Hub findings: BatchImportFindings as AWS validates and merges it, BatchUpdateFindings, GetFindings filters.

AWS, per the Security Hub User Guide ("BatchImportFindings for finding providers", "Required attributes",
"Workflow", "RecordState", "Compliance") and the API reference (BatchImportFindings, BatchUpdateFindings,
GetFindings, AwsSecurityFinding, Workflow):
- BatchImportFindings takes at most 100 findings (more is an InvalidInputException for the whole request); each
  finding needs SchemaVersion, Id, ProductArn, GeneratorId, AwsAccountId, CreatedAt, UpdatedAt, Title, Description,
  Resources, Severity (Label or Normalized) and Types; Id and GeneratorId at most 512 characters, Title 256,
  Description 1024, a finding at most 240 KB. An invalid finding is listed in FailedFindings; the others import.
- With the default product of custom integrations (arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default) the
  caller's account must be the finding's AwsAccountId. In a Region where Security Hub is not enabled every finding
  fails with InvalidAccess.
- The Id decides create or update. An update whose UpdatedAt is older than the finding's is ignored. On an update
  Note, UserDefinedFields, VerificationState and Workflow are ignored (BatchUpdateFindings changes them).
- A new finding gets Workflow.Status NEW and RecordState ACTIVE unless given; Security Hub fills Region,
  ProcessedAt and FindingProviderFields (from Severity and Types) and Severity.Normalized from the label.
- Workflow.Status goes from NOTIFIED or RESOLVED back to NEW when Compliance.Status changes from PASSED to FAILED,
  WARNING or NOT_AVAILABLE, or RecordState changes from ARCHIVED to ACTIVE.
- BatchUpdateFindings (PATCH /findings/batchupdate) sets Workflow, Note (Text, UpdatedBy; Security Hub stamps
  UpdatedAt), VerificationState, UserDefinedFields... on up to 100 findings given by Id and ProductArn; findings it
  cannot find come back in UnprocessedFindings. It does not change UpdatedAt.
- GetFindings filters: up to 10 attributes, up to 20 values each; EQUALS / PREFIX values of one attribute match any,
  NOT_EQUALS / PREFIX_NOT_EQUALS must all hold; attributes combine with AND.

moto 5.2.5: BatchImportFindings stores whatever it gets (no validation, no limit, no hub check) and an update
overwrites every field, Workflow and Note included; BatchUpdateFindings does not exist; GetFindings ignores Filters.
This patch adds the rules above on top of moto's models.
"""

import datetime
import json

from moto.securityhub import urls as securityhub_urls
from moto.securityhub.exceptions import InvalidInputException
from moto.securityhub.models import Finding, SecurityHubBackend
from moto.securityhub.responses import SecurityHubResponse

REQUIRED = [
    "SchemaVersion",
    "Id",
    "ProductArn",
    "GeneratorId",
    "AwsAccountId",
    "CreatedAt",
    "UpdatedAt",
    "Title",
    "Description",
    "Resources",
]
LIMITS = {"Id": 512, "GeneratorId": 512, "Title": 256, "Description": 1024}
MAX_FINDING_BYTES = 240 * 1024
RESTRICTED = ["Note", "UserDefinedFields", "VerificationState", "Workflow"]
NORMALIZED = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def _ts(value) -> datetime.datetime:
    return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _invalid(finding: dict, account: str, region: str):
    for key in REQUIRED:
        value = finding.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return "InvalidInput", f"Finding is missing the required attribute {key}"
    for key, limit in LIMITS.items():
        if len(str(finding[key])) > limit:
            return "InvalidInput", f"{key} is longer than {limit} characters"
    severity = finding.get("Severity") or (finding.get("FindingProviderFields") or {}).get("Severity") or {}
    if severity.get("Label") not in NORMALIZED and severity.get("Normalized") is None:
        return "InvalidInput", "Finding must have Severity.Label or Severity.Normalized"
    if not (finding.get("Types") or (finding.get("FindingProviderFields") or {}).get("Types")):
        return "InvalidInput", "Finding must have Types"
    if not isinstance(finding["Resources"], list) or not (1 <= len(finding["Resources"]) <= 32):
        return "InvalidInput", "Resources must hold between 1 and 32 resources"
    if len(json.dumps(finding).encode()) > MAX_FINDING_BYTES:
        return "InvalidInput", "Finding size exceeded 240 KB"
    for key in ("CreatedAt", "UpdatedAt"):
        try:
            _ts(finding[key])
        except ValueError:
            return "InvalidInput", f"{key} is not an ISO 8601 timestamp"
    default = f"arn:aws:securityhub:{region}:{account}:product/{account}/default"
    if finding["ProductArn"].endswith("/default") and finding["ProductArn"] != default:
        return "AccessDeniedException", f"Cannot import findings into {finding['ProductArn']} from {account} in {region}"
    if finding["AwsAccountId"] != account:
        return "AccessDeniedException", f"Account {account} cannot import findings for account {finding['AwsAccountId']}"
    return None


def _create(finding: dict, region: str) -> dict:
    data = json.loads(json.dumps(finding))
    data.setdefault("Workflow", {"Status": "NEW"})
    data.setdefault("WorkflowState", "NEW")
    data.setdefault("RecordState", "ACTIVE")
    data["Region"] = region
    data["ProcessedAt"] = _now()
    provider = data.setdefault("FindingProviderFields", {})
    if "Severity" in data:
        provider.setdefault("Severity", {k: v for k, v in data["Severity"].items() if k in ("Label", "Original")})
    elif "Severity" in provider:
        data["Severity"] = dict(provider["Severity"])
    if "Types" in data:
        provider.setdefault("Types", list(data["Types"]))
    elif "Types" in provider:
        data["Types"] = list(provider["Types"])
    label = data["Severity"].get("Label")
    if label in NORMALIZED:
        data["Severity"].setdefault("Normalized", NORMALIZED[label])
    fields = data.setdefault("ProductFields", {})
    fields["aws/securityhub/FindingId"] = f"{data['ProductArn']}/{data['Id']}"
    fields["aws/securityhub/ProductName"] = data.get("ProductName", "Default")
    fields["aws/securityhub/CompanyName"] = data.get("CompanyName", "Personal")
    return data


def _merge(existing: dict, update: dict, region: str) -> None:
    old_compliance = (existing.get("Compliance") or {}).get("Status")
    old_record = existing.get("RecordState", "ACTIVE")
    incoming = _create({k: v for k, v in update.items() if k not in RESTRICTED}, region)
    for key in RESTRICTED:
        incoming.pop(key, None)
    incoming.pop("WorkflowState", None)
    # The provider's Severity and Types arrive through FindingProviderFields.
    provider = update.get("FindingProviderFields") or {}
    if "Severity" in provider:
        incoming["Severity"] = dict(provider["Severity"])
        label = incoming["Severity"].get("Label")
        if label in NORMALIZED:
            incoming["Severity"].setdefault("Normalized", NORMALIZED[label])
    if "Types" in provider:
        incoming["Types"] = list(provider["Types"])
    existing.update(incoming)
    new_compliance = (existing.get("Compliance") or {}).get("Status")
    new_record = existing.get("RecordState", "ACTIVE")
    status = (existing.get("Workflow") or {}).get("Status", "NEW")
    reopened = (old_compliance == "PASSED" and new_compliance in ("FAILED", "WARNING", "NOT_AVAILABLE")) or (
        old_record == "ARCHIVED" and new_record == "ACTIVE"
    )
    if reopened and status in ("NOTIFIED", "RESOLVED"):
        existing["Workflow"] = {"Status": "NEW"}
        existing["WorkflowState"] = "NEW"


def _matches(finding: dict, filters: dict) -> bool:
    def values(attribute: str) -> list:
        compliance = finding.get("Compliance") or {}
        paths = {
            "Id": [finding.get("Id")],
            "ProductArn": [finding.get("ProductArn")],
            "GeneratorId": [finding.get("GeneratorId")],
            "AwsAccountId": [finding.get("AwsAccountId")],
            "Region": [finding.get("Region")],
            "Title": [finding.get("Title")],
            "RecordState": [finding.get("RecordState")],
            "WorkflowStatus": [(finding.get("Workflow") or {}).get("Status")],
            "ComplianceStatus": [compliance.get("Status")],
            "ComplianceSecurityControlId": [compliance.get("SecurityControlId")],
            "SeverityLabel": [(finding.get("Severity") or {}).get("Label")],
            "ResourceId": [r.get("Id") for r in finding.get("Resources", [])],
            "ResourceType": [r.get("Type") for r in finding.get("Resources", [])],
        }
        if attribute not in paths:
            raise InvalidInputException(op="GetFindings", msg=f"Filtering on {attribute} is not supported here")
        return [v for v in paths[attribute] if v is not None]

    for attribute, conditions in filters.items():
        present = values(attribute)
        positive = [c for c in conditions if c.get("Comparison") in ("EQUALS", "PREFIX", "CONTAINS")]
        negative = [c for c in conditions if c.get("Comparison") in ("NOT_EQUALS", "PREFIX_NOT_EQUALS", "NOT_CONTAINS")]

        def hit(c: dict) -> bool:
            comparison, wanted = c.get("Comparison"), c.get("Value")
            if comparison in ("EQUALS", "NOT_EQUALS"):
                return wanted in present
            if comparison in ("PREFIX", "PREFIX_NOT_EQUALS"):
                return any(str(v).startswith(wanted) for v in present)
            return any(wanted in str(v) for v in present)

        if positive and not any(hit(c) for c in positive):
            return False
        if any(hit(c) for c in negative):
            return False
    return True


def apply() -> None:
    original_get = SecurityHubBackend.get_findings

    def batch_import_findings(self, findings):
        if len(findings) > 100:
            raise InvalidInputException(op="BatchImportFindings", msg="Findings must contain at most 100 findings")
        failed = []
        success = 0
        for finding in findings:
            if not self.enabled:
                failed.append(
                    {
                        "Id": finding.get("Id", ""),
                        "ErrorCode": "InvalidAccess",
                        "ErrorMessage": f"Account {self.account_id} is not subscribed to AWS Security Hub in {self.region_name}",
                    }
                )
                continue
            problem = _invalid(finding, self.account_id, self.region_name)
            if problem:
                failed.append({"Id": finding.get("Id", ""), "ErrorCode": problem[0], "ErrorMessage": problem[1]})
                continue
            existing = next((f for f in self.findings if f.id == finding["Id"]), None)
            if existing is None:
                self.findings.append(Finding(finding["Id"], _create(finding, self.region_name)))
            elif _ts(finding["UpdatedAt"]) > _ts(existing.data.get("UpdatedAt", "1970-01-01T00:00:00Z")):
                _merge(existing.data, finding, self.region_name)
            success += 1
        return len(failed), success, failed

    def get_findings(self, filters=None, sort_criteria=None, max_results=None, next_token=None):
        filters = filters or {}
        if len(filters) > 10:
            raise InvalidInputException(op="GetFindings", msg="You can filter by up to 10 finding attributes")
        for attribute, conditions in filters.items():
            if len(conditions) > 20:
                raise InvalidInputException(op="GetFindings", msg=f"{attribute}: at most 20 filter values")
        kept = self.findings
        if filters:
            self.findings = [f for f in kept if _matches(f.data, filters)]
        try:
            return original_get(self, filters=None, sort_criteria=sort_criteria, max_results=max_results, next_token=next_token)
        finally:
            self.findings = kept

    def batch_update_findings(self, identifiers, workflow=None, note=None, verification_state=None):
        if not identifiers or len(identifiers) > 100:
            raise InvalidInputException(op="BatchUpdateFindings", msg="FindingIdentifiers must hold 1 to 100 findings")
        processed, unprocessed = [], []
        for ident in identifiers:
            finding = next(
                (f for f in self.findings if f.id == ident.get("Id") and f.data.get("ProductArn") == ident.get("ProductArn")),
                None,
            )
            if finding is None:
                unprocessed.append({"FindingIdentifier": ident, "ErrorCode": "FindingNotFound", "ErrorMessage": "Finding not found"})
                continue
            if workflow and workflow.get("Status"):
                finding.data["Workflow"] = {"Status": workflow["Status"]}
            if note:
                finding.data["Note"] = {"Text": note["Text"], "UpdatedBy": note["UpdatedBy"], "UpdatedAt": _now()}
            if verification_state:
                finding.data["VerificationState"] = verification_state
            processed.append(ident)
        return processed, unprocessed

    def batch_update_findings_response(self) -> str:
        params = json.loads(self.body) if self.body else {}
        processed, unprocessed = self.securityhub_backend.batch_update_findings(
            params.get("FindingIdentifiers", []),
            workflow=params.get("Workflow"),
            note=params.get("Note"),
            verification_state=params.get("VerificationState"),
        )
        return json.dumps({"ProcessedFindings": processed, "UnprocessedFindings": unprocessed})

    SecurityHubBackend.batch_import_findings = batch_import_findings
    SecurityHubBackend.get_findings = get_findings
    SecurityHubBackend.batch_update_findings = batch_update_findings
    SecurityHubResponse.batch_update_findings = batch_update_findings_response
    securityhub_urls.url_paths["{0}/findings/batchupdate$"] = SecurityHubResponse.dispatch

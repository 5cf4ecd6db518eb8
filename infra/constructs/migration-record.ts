import { RemovalPolicy, Validations } from "aws-cdk-lib";
import { AccountRootPrincipal, ArnPrincipal, PolicyDocument, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Key, KeySpec, KeyUsage } from "aws-cdk-lib/aws-kms";
import type { Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { RECORD_KEY_ALIAS, RECORD_KEY_ENV } from "../../shared/migration/record.js";

export interface MigrationRecordKeyProps {
  /** Writes the record on a source: the migration's surroundings step. */
  writer: LambdaFunction;
  /** Check records: the file-system function and the sweep. */
  readers: LambdaFunction[];
}

/**
 * KMS key administration, without any use of the key (no GenerateMac, VerifyMac, grants). Not CDK's usual
 * `kms:Create*`: that covers kms:CreateGrant, through which any account principal could grant itself GenerateMac.
 */
const ADMIN_ACTIONS = [
  "kms:CreateAlias",
  "kms:Describe*",
  "kms:Enable*",
  "kms:List*",
  "kms:Put*",
  "kms:Update*",
  "kms:Revoke*",
  "kms:Disable*",
  "kms:Get*",
  "kms:Delete*",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
];

/**
 * The HMAC key behind the migration's record on a migrated source (shared/migration/record.ts). Its key policy
 * names who may use it: the surroundings step may GenerateMac, the guard functions may VerifyMac, and the account
 * (IAM) may only administer it. KMS honours IAM policies for a key only where its key policy delegates to the
 * account, so no other principal of the account can be given GenerateMac on it (PutKeyPolicy, an administrative
 * action, could change that: docs/migration.md says how to keep it to the deployment role).
 */
export class MigrationRecordKey extends Construct {
  readonly key: Key;

  constructor(scope: Construct, id: string, props: MigrationRecordKeyProps) {
    super(scope, id);
    const roleArn = (f: LambdaFunction) => f.role!.roleArn;
    const policy = new PolicyDocument({
      statements: [
        new PolicyStatement({
          sid: "AdministerOnly",
          principals: [new AccountRootPrincipal()],
          actions: ADMIN_ACTIONS,
          resources: ["*"],
        }),
        new PolicyStatement({
          sid: "TheMigrationWritesRecords",
          principals: [new ArnPrincipal(roleArn(props.writer))],
          actions: ["kms:GenerateMac"],
          resources: ["*"],
        }),
        new PolicyStatement({
          sid: "TheGuardChecksRecords",
          principals: props.readers.map((f) => new ArnPrincipal(roleArn(f))),
          actions: ["kms:VerifyMac"],
          resources: ["*"],
        }),
      ],
    });
    this.key = new Key(this, "Key", {
      description: "EFS Guard: signs the migration's record on a migrated source (efs-guard:replacement-record)",
      alias: RECORD_KEY_ALIAS,
      keySpec: KeySpec.HMAC_256,
      keyUsage: KeyUsage.GENERATE_VERIFY_MAC,
      policy,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.key).acknowledge({
      id: "AwsSolutions::AwsSolutions-KMS5",
      reason:
        "An HMAC key: AWS KMS supports automatic rotation for symmetric encryption keys only, not for HMAC keys (KMS Developer Guide, Rotating keys).",
    });
    // The key policy alone grants on AWS; the identity statements say the same (and what the emulator checks).
    props.writer.addEnvironment(RECORD_KEY_ENV, this.key.keyArn);
    props.writer.addToRolePolicy(new PolicyStatement({ actions: ["kms:GenerateMac"], resources: [this.key.keyArn] }));
    for (const reader of props.readers) {
      reader.addEnvironment(RECORD_KEY_ENV, this.key.keyArn);
      reader.addToRolePolicy(new PolicyStatement({ actions: ["kms:VerifyMac"], resources: [this.key.keyArn] }));
    }
  }
}

import type { CfnTemplate } from "./template.js";

/** The emulator's one account (moto's default). */
export const ACCOUNT = "123456789012";

export type Resolved = { ref: unknown; atts: Record<string, unknown> };

/** A minimal resolver of CloudFormation intrinsics for the values the deployers meet. */
export function resolveIntrinsics(value: unknown, resolved: Map<string, Resolved>, region: string): unknown {
  const pseudo: Record<string, string> = {
    "AWS::Partition": "aws",
    "AWS::Region": region,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "EfsGuard",
  };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== "object") return v;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const [k] = keys as [string];
      if (k === "Ref") {
        const id = o.Ref as string;
        if (id in pseudo) return pseudo[id];
        const r = resolved.get(id);
        if (!r) throw new Error(`cannot resolve Ref ${id}: not deployed in the emulator`);
        return r.ref;
      }
      if (k === "Fn::GetAtt") {
        const [id, att] = o["Fn::GetAtt"] as [string, string];
        const r = resolved.get(id);
        if (!r || !(att in r.atts)) throw new Error(`cannot resolve Fn::GetAtt ${id}.${att}`);
        return r.atts[att];
      }
      if (k === "Fn::Join") {
        const [sep, parts] = o["Fn::Join"] as [string, unknown[]];
        return (walk(parts) as unknown[]).map(String).join(sep);
      }
      if (k === "Fn::Select") {
        const [index, list] = o["Fn::Select"] as [number, unknown];
        return (walk(list) as unknown[])[Number(index)];
      }
      if (k === "Fn::Split") {
        const [sep, str] = o["Fn::Split"] as [string, unknown];
        return String(walk(str)).split(sep);
      }
    }
    return Object.fromEntries(keys.map((key) => [key, walk(o[key])]));
  };
  return walk(value);
}

/**
 * Where each resource of the template would be once deployed in the emulator: the ARN (and Ref) CloudFormation
 * would give it, by type and name, for every resource a role policy or a function environment refers to. What a
 * deployer really creates (the alerts topic, the migration's key and vault) it sets in `known`, which wins.
 */
/** A bucket's name in the emulator, from its logical id (S3: lower case, at most 63 characters). */
export function bucketNameOf(logicalId: string): string {
  return `efs-guard-${logicalId.toLowerCase()}`.slice(0, 63);
}

export function expectedResolution(
  template: CfnTemplate,
  region: string,
  known: Map<string, Resolved> = new Map(),
): Map<string, Resolved> {
  const out = new Map<string, Resolved>();
  const arn = (service: string, rest: string) => `arn:aws:${service}:${region}:${ACCOUNT}:${rest}`;
  for (const [id, r] of Object.entries(template.Resources)) {
    const p = r.Properties ?? {};
    const name = (value: unknown) => (typeof value === "string" ? value : id);
    switch (r.Type) {
      case "AWS::SNS::Topic": {
        const topicArn = arn("sns", name(p.TopicName));
        out.set(id, { ref: topicArn, atts: { TopicArn: topicArn, TopicName: name(p.TopicName) } });
        break;
      }
      case "AWS::SQS::Queue": {
        const queue = name(p.QueueName);
        out.set(id, {
          ref: `http://sqs.${region}.localhost/${ACCOUNT}/${queue}`,
          atts: { Arn: arn("sqs", queue), QueueName: queue },
        });
        break;
      }
      case "AWS::DynamoDB::Table": {
        const table = name(p.TableName);
        out.set(id, { ref: table, atts: { Arn: arn("dynamodb", `table/${table}`) } });
        break;
      }
      case "AWS::KMS::Key":
        out.set(id, { ref: id, atts: { Arn: arn("kms", `key/${id}`), KeyId: id } });
        break;
      case "AWS::Logs::LogGroup":
        out.set(id, { ref: name(p.LogGroupName), atts: { Arn: arn("logs", `log-group:${name(p.LogGroupName)}:*`) } });
        break;
      case "AWS::IAM::Role": {
        const role = typeof p.RoleName === "string" ? p.RoleName : id.slice(0, 64);
        out.set(id, { ref: role, atts: { Arn: `arn:aws:iam::${ACCOUNT}:role/${role}`, RoleId: role } });
        break;
      }
      case "AWS::Lambda::Function": {
        const fn = id.slice(0, 64);
        out.set(id, { ref: fn, atts: { Arn: arn("lambda", `function:${fn}`) } });
        break;
      }
      case "AWS::StepFunctions::StateMachine": {
        const machine = arn("states", `stateMachine:${name(p.StateMachineName)}`);
        out.set(id, { ref: machine, atts: { Arn: machine, Name: name(p.StateMachineName) } });
        break;
      }
      case "AWS::S3::Bucket": {
        // CloudFormation names a bucket from the stack and logical id, lower case; here the logical id's.
        const bucket = typeof p.BucketName === "string" ? p.BucketName : bucketNameOf(id);
        out.set(id, { ref: bucket, atts: { Arn: `arn:aws:s3:::${bucket}`, BucketName: bucket } });
        break;
      }
      case "AWS::Backup::BackupVault": {
        const vault = name(p.BackupVaultName);
        out.set(id, {
          ref: vault,
          atts: { BackupVaultName: vault, BackupVaultArn: arn("backup", `backup-vault:${vault}`) },
        });
        break;
      }
    }
  }
  // CloudFormation's AWS::StackId is no resource; a deployer that created the stack sets the real one in `known`.
  const stackId = arn("cloudformation", "stack/EfsGuard/00000000-0000-4000-8000-000000000000");
  out.set("AWS::StackId", { ref: stackId, atts: {} });
  for (const [id, r] of known) out.set(id, r);
  return out;
}

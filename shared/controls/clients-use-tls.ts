import type { GuardConfig } from "../config/schema.js";
import type { Clock } from "../runtime/clock.js";
import type { Finding, ResourceRef } from "./types.js";

/**
 * efs-clients-use-tls: no active ECS task definition mounts an EFS volume with `transitEncryption` other than
 * ENABLED (ECS's default, when the field is omitted, is DISABLED). Such a task sends its file data over the
 * network in clear, and the TLS deny of efs-tls-enforced would cut it off: efs-tls-enforced uses this reading
 * before it writes the deny (tlsEnforcement "unless-clients-break"). Alert only: a task definition is immutable;
 * the fix is a new revision with TLS, which only its owner can roll out.
 */
export const CONTROL = "efs-clients-use-tls" as const;

export interface EfsVolume {
  name: string;
  fileSystemId: string;
  /** As DescribeTaskDefinition shows it; undefined when omitted (ECS then uses DISABLED). */
  transitEncryption?: string;
  /** authorizationConfig.iam (ENABLED needs TLS; ECS refuses it without). */
  iam?: string;
  accessPointId?: string;
}

/** A task definition as DescribeTaskDefinition shows it, the part the control needs. */
export interface TaskDefinitionFacts {
  arn: string;
  family: string;
  revision: number;
  region: string;
  account?: string;
  /** ACTIVE, INACTIVE or DELETE_IN_PROGRESS; "missing" when DescribeTaskDefinition no longer finds it. */
  status: string;
  registeredBy?: string;
  efsVolumes: EfsVolume[];
  tags?: Record<string, string>;
}

/** The EFS volumes of a task definition that mount without TLS (of one file system, when given). */
export function nonTlsVolumes(td: TaskDefinitionFacts, fileSystemId?: string): EfsVolume[] {
  return td.efsVolumes.filter(
    (v) => (fileSystemId === undefined || v.fileSystemId === fileSystemId) && v.transitEncryption !== "ENABLED",
  );
}

export function taskDefinitionResource(td: TaskDefinitionFacts): ResourceRef {
  return {
    type: "task-definition",
    id: `${td.family}:${td.revision}`,
    arn: td.arn,
    region: td.region,
    ...(td.account ? { account: td.account } : {}),
  };
}

export function evaluate(td: TaskDefinitionFacts, _config: GuardConfig, _clock: Clock): Finding {
  const base = { control: CONTROL, resource: taskDefinitionResource(td) };
  const name = `${td.family}:${td.revision}`;
  if (td.status !== "ACTIVE") {
    return {
      ...base,
      verdict: "not-applicable",
      severity: "info",
      summary:
        td.status === "missing"
          ? `task definition ${name} no longer exists`
          : `task definition ${name} is ${td.status}`,
      evidence: { status: td.status },
    };
  }
  if (td.efsVolumes.length === 0) {
    return {
      ...base,
      verdict: "not-applicable",
      severity: "info",
      summary: `task definition ${name} mounts no EFS volume`,
      evidence: { efsVolumes: 0 },
    };
  }
  const clear = nonTlsVolumes(td);
  if (clear.length === 0) {
    return {
      ...base,
      verdict: "compliant",
      severity: "info",
      summary: `task definition ${name} mounts every EFS volume with TLS`,
      evidence: { fileSystems: [...new Set(td.efsVolumes.map((v) => v.fileSystemId))] },
    };
  }
  const fileSystems = [...new Set(clear.map((v) => v.fileSystemId))];
  return {
    ...base,
    verdict: "non-compliant",
    severity: "high",
    summary: `task definition ${name} mounts ${fileSystems.join(", ")} without TLS (volume ${clear.map((v) => `${v.name}: transitEncryption ${v.transitEncryption ?? "omitted, so DISABLED"}`).join("; ")}): its file data crosses the network in clear, and enforcing TLS on the file system would cut it off`,
    evidence: {
      volumes: clear.map((v) => ({
        name: v.name,
        fileSystemId: v.fileSystemId,
        transitEncryption: v.transitEncryption ?? null,
      })),
      ...(td.registeredBy ? { registeredBy: td.registeredBy } : {}),
    },
    ...(td.tags ? { tags: td.tags } : {}),
  };
}

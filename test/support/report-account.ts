import { PutBackupPolicyCommand, PutFileSystemPolicyCommand } from "@aws-sdk/client-efs";
import { consoleDefaultPolicy } from "../../shared/controls/policy.js";
import { KeySeeder } from "./seed-kms.js";

/** A tag value that would run script if a report put it into HTML as markup. */
export const HOSTILE_TAG = "<img src=x onerror=alert(1)>";

/**
 * An account for the report tests: one file system (customer managed key with rotation, TLS deny, backups on) in
 * three subnets behind a compliant group, a world-open group carrying a hostile tag value, and an exempt open group;
 * a second file system left as CreateFileSystem leaves it (no policy, no backups) on a key without rotation.
 */
export async function reportAccount() {
  const seed = new KeySeeder();
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const good = await seed.securityGroup(vpcId, "good");
  const open = await seed.securityGroup(vpcId, "open", { owner: HOSTILE_TAG });
  const exempt = await seed.securityGroup(vpcId, "exempt", {
    "efs-guard:exempt": "efs-nfs-ingress-restricted",
    "efs-guard:exempt-until": "2099-12-31",
  });
  await seed.nfsFrom(good, "10.0.0.0/16");
  const openRule = await seed.nfsFrom(open, "0.0.0.0/0");
  await seed.nfsFrom(exempt, "0.0.0.0/0");
  const key = await seed.keyWithFileSystem({ rotation: 365 });
  const arn = `arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/${key.fileSystemId}`;
  await seed.efs.send(
    new PutFileSystemPolicyCommand({
      FileSystemId: key.fileSystemId,
      Policy: JSON.stringify(consoleDefaultPolicy(arn)),
    }),
  );
  await seed.efs.send(
    new PutBackupPolicyCommand({ FileSystemId: key.fileSystemId, BackupPolicy: { Status: "ENABLED" } }),
  );
  await seed.mountTarget(key.fileSystemId, subnets[0]!, [good]);
  await seed.mountTarget(key.fileSystemId, subnets[1]!, [open]);
  await seed.mountTarget(key.fileSystemId, subnets[2]!, [exempt]);
  const bare = await seed.keyWithFileSystem();
  return { seed, good, open, exempt, openRule, fileSystemId: key.fileSystemId, bare };
}

import { DescribeFileSystemPolicyCommand, type EFSClient } from "@aws-sdk/client-efs";

/** The file system's policy text as EFS holds it now; undefined when it has none. */
export async function policyOf(seed: { efs: EFSClient }, FileSystemId: string): Promise<string | undefined> {
  try {
    return (await seed.efs.send(new DescribeFileSystemPolicyCommand({ FileSystemId }))).Policy;
  } catch (error) {
    if ((error as Error).name === "PolicyNotFound") return undefined;
    throw error;
  }
}

/** A client access grant to one role, without the TLS deny. */
export const roleOnlyPolicy = (fileSystemArn: string, account = "123456789012") => ({
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "AppRole",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${account}:role/app` },
      Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
      Resource: fileSystemArn,
    },
  ],
});

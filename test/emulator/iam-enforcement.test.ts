import { CreateTableCommand, DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { DescribeSecurityGroupsCommand, EC2Client, RevokeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { DescribeFileSystemsCommand, DescribeMountTargetSecurityGroupsCommand, EFSClient } from "@aws-sdk/client-efs";
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { beforeEach, describe, expect, it } from "vitest";
import { iamCall } from "../../emulator/moto-call.js";
import { assumeRole, type RoleCredentials } from "../../emulator/roles.js";
import { Seeder } from "../../emulator/seed.js";
import { resetEmulator } from "../support/emulator.js";

/**
 * patches/iam_enforcement.py: the emulator refuses what IAM refuses. A role gets a policy, the test assumes it and
 * calls with its credentials: each allow and each deny below is one rule of IAM's evaluation that moto alone gets
 * wrong (resources, the region fence, conditions on keys the request does not carry, explicit deny).
 */
const endpoint = () => process.env.AWS_ENDPOINT_URL as string;
const ACCOUNT = "123456789012";

async function roleWith(name: string, statements: unknown[]): Promise<RoleCredentials> {
  const trust = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
  };
  await iamCall(endpoint(), { Action: "CreateRole", RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) });
  await iamCall(endpoint(), {
    Action: "PutRolePolicy",
    RoleName: name,
    PolicyName: "p",
    PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
  });
  return assumeRole(endpoint(), `arn:aws:iam::${ACCOUNT}:role/${name}`, name);
}

const as = (c: RoleCredentials) => ({
  credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken },
});

async function denied(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).name;
  }
  return "allowed";
}

const fence = {
  Effect: "Deny",
  Action: "*",
  Resource: "*",
  Condition: { StringNotEquals: { "aws:RequestedRegion": ["us-east-1"] } },
};

describe("iam_enforcement: identity policies as IAM evaluates them", () => {
  beforeEach(resetEmulator);

  it("the region fence denies other regions only; a resource-scoped Allow applies to its ARNs", async () => {
    const seed = new Seeder();
    const { vpcId } = await seed.vpc();
    const groupId = await seed.securityGroup(vpcId);
    const other = await seed.securityGroup(vpcId);
    const creds = await roleWith("fenced", [
      { Effect: "Allow", Action: "ec2:DescribeSecurityGroups", Resource: "*" },
      {
        Effect: "Allow",
        Action: "elasticfilesystem:DescribeFileSystems",
        Resource: `arn:aws:elasticfilesystem:*:${ACCOUNT}:file-system/*`,
      },
      {
        Effect: "Allow",
        Action: "ec2:RevokeSecurityGroupIngress",
        Resource: `arn:aws:ec2:*:${ACCOUNT}:security-group/${groupId}`,
      },
      fence,
    ]);
    const home = new EC2Client({ region: "us-east-1", ...as(creds) });
    const away = new EC2Client({ region: "eu-west-1", ...as(creds) });
    expect(await denied(home.send(new DescribeSecurityGroupsCommand({})))).toBe("allowed");
    expect(await denied(away.send(new DescribeSecurityGroupsCommand({})))).toMatch(
      /UnauthorizedOperation|AccessDenied/,
    );
    const efs = new EFSClient({ region: "us-east-1", ...as(creds) });
    expect(await denied(efs.send(new DescribeFileSystemsCommand({})))).toBe("allowed");
    // The Allow names one group: the other is refused, whatever the rule.
    const revoke = (g: string) =>
      home.send(
        new RevokeSecurityGroupIngressCommand({
          GroupId: g,
          IpPermissions: [{ IpProtocol: "tcp", FromPort: 2049, ToPort: 2049, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
        }),
      );
    expect(await denied(revoke(other))).toMatch(/UnauthorizedOperation|AccessDenied/);
    expect(await denied(revoke(groupId))).not.toMatch(/UnauthorizedOperation|AccessDenied/);
  });

  it("a DynamoDB call is authorized on the table it names (moto has parsed its JSON body already)", async () => {
    const admin = new DynamoDBClient({ region: "us-east-1" });
    for (const TableName of ["mine", "theirs"]) {
      await admin.send(
        new CreateTableCommand({
          TableName,
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
    }
    const creds = await roleWith("table", [
      { Effect: "Allow", Action: "dynamodb:UpdateItem", Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/mine` },
    ]);
    const dynamodb = new DynamoDBClient({ region: "us-east-1", ...as(creds) });
    const update = (TableName: string) =>
      dynamodb.send(
        new UpdateItemCommand({
          TableName,
          Key: { pk: { S: "k" } },
          UpdateExpression: "SET n = :one",
          ExpressionAttributeValues: { ":one": { N: "1" } },
        }),
      );
    expect(await denied(update("mine"))).toBe("allowed");
    expect(await denied(update("theirs"))).toBe("AccessDeniedException");
  });

  it("an action no statement names is refused; an explicit Deny beats an Allow", async () => {
    const creds = await roleWith("narrow", [
      { Effect: "Allow", Action: "ec2:Describe*", Resource: "*" },
      { Effect: "Deny", Action: "ec2:DescribeSecurityGroups", Resource: "*" },
    ]);
    const ec2 = new EC2Client({ region: "us-east-1", ...as(creds) });
    expect(await denied(ec2.send(new DescribeSecurityGroupsCommand({})))).toMatch(/UnauthorizedOperation|AccessDenied/);
    const efs = new EFSClient({ region: "us-east-1", ...as(creds) });
    expect(await denied(efs.send(new DescribeFileSystemsCommand({})))).toMatch(/AccessDenied/);
  });

  it("a key named by alias is authorized as its key; a condition on a key the request lacks (kms:ViaService) does not hold", async () => {
    const kms = new KMSClient({ region: "us-east-1" });
    const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    const other = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    await kms.send(new CreateAliasCommand({ AliasName: "alias/data", TargetKeyId: key.KeyId! }));
    const creds = await roleWith("keys", [
      { Effect: "Allow", Action: "kms:DescribeKey", Resource: key.Arn },
      {
        Effect: "Allow",
        Action: "kms:DescribeKey",
        Resource: other.Arn,
        Condition: { StringEquals: { "kms:ViaService": "elasticfilesystem.us-east-1.amazonaws.com" } },
      },
    ]);
    const client = new KMSClient({ region: "us-east-1", ...as(creds) });
    expect(await denied(client.send(new DescribeKeyCommand({ KeyId: "alias/data" })))).toBe("allowed");
    expect(await denied(client.send(new DescribeKeyCommand({ KeyId: key.KeyId! })))).toBe("allowed");
    expect(await denied(client.send(new DescribeKeyCommand({ KeyId: other.KeyId! })))).toMatch(/AccessDenied/);
  });

  it("a mount target's operations are authorized on its file system", async () => {
    const seed = new Seeder();
    const { vpcId, subnets } = await seed.vpc();
    const groupId = await seed.securityGroup(vpcId);
    const mine = await seed.fileSystem();
    const theirs = await seed.fileSystem();
    const mineTarget = await seed.mountTarget(mine, subnets[0]!, [groupId]);
    const theirTarget = await seed.mountTarget(theirs, subnets[0]!, [groupId]);
    const creds = await roleWith("one-fs", [
      {
        Effect: "Allow",
        Action: "elasticfilesystem:DescribeMountTargetSecurityGroups",
        Resource: `arn:aws:elasticfilesystem:us-east-1:${ACCOUNT}:file-system/${mine}`,
      },
    ]);
    const efs = new EFSClient({ region: "us-east-1", ...as(creds) });
    const read = (id: string) => efs.send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: id }));
    expect(await denied(read(mineTarget))).toBe("allowed");
    expect(await denied(read(theirTarget))).toMatch(/AccessDenied/);
  });

  it("unknown credentials are refused; GetCallerIdentity names the role session and is allowed even under a Deny", async () => {
    const creds = await roleWith("nothing", [{ Effect: "Deny", Action: "*", Resource: "*" }]);
    const sts = new STSClient({ region: "us-east-1", ...as(creds) });
    expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toBe(
      `arn:aws:sts::${ACCOUNT}:assumed-role/nothing/nothing`,
    );
    const forged = new EC2Client({
      region: "us-east-1",
      credentials: { accessKeyId: "ASIAFORGED0000000000", secretAccessKey: "x", sessionToken: "y" },
    });
    expect(await denied(forged.send(new DescribeSecurityGroupsCommand({})))).toMatch(
      /AuthFailure|InvalidClientTokenId/,
    );
  });
});

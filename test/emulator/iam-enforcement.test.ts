import { CreateTableCommand, DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { DescribeSecurityGroupsCommand, EC2Client, RevokeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import {
  CreateFileSystemCommand,
  DescribeFileSystemPolicyCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetSecurityGroupsCommand,
  EFSClient,
  TagResourceCommand,
} from "@aws-sdk/client-efs";
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { DescribeAccountCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { beforeEach, describe, expect, it } from "vitest";
import { iamCall } from "../../emulator/moto-call.js";
import { assumeRole, type RoleCredentials } from "../../emulator/roles.js";
import { Seeder } from "../../emulator/seed.js";
import { resetEmulator } from "../support/emulator.js";
import { organization } from "../support/organization.js";

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

  it("organizations:DescribeAccount is authorized on the account's ARN in the caller's organization", async () => {
    const { id, members } = await organization(["named"]);
    const [member] = members as [string];
    const ours = await roleWith("names", [
      {
        Effect: "Allow",
        Action: "organizations:DescribeAccount",
        Resource: `arn:aws:organizations::*:account/${id}/*`,
      },
    ]);
    const theirs = await roleWith("other-org", [
      {
        Effect: "Allow",
        Action: "organizations:DescribeAccount",
        Resource: "arn:aws:organizations::*:account/o-zzzzzzzzzz/*",
      },
    ]);
    const describe = (c: RoleCredentials) =>
      new OrganizationsClient({ region: "us-east-1", ...as(c) }).send(
        new DescribeAccountCommand({ AccountId: member }),
      );
    expect((await describe(ours)).Account?.Name).toBe("named");
    expect(await denied(describe(theirs))).toBe("AccessDeniedException");
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

  it("CreateFileSystem: elasticfilesystem:Encrypted and the request's tags hold; the tags are authorized on file systems", async () => {
    // As the migration's recreate role: create only encrypted file systems tagged as the migration's, tag only in
    // the creating request (Service Authorization Reference, EFS; EFS User Guide, tagging during creation).
    const creds = await roleWith("creates-encrypted", [
      {
        Effect: "Allow",
        Action: "elasticfilesystem:CreateFileSystem",
        Resource: "*",
        Condition: {
          Bool: { "elasticfilesystem:Encrypted": "true" },
          StringLike: { "aws:RequestTag/efs-guard:migration": "efs-guard-migrate-fs-*" },
        },
      },
      {
        Effect: "Allow",
        Action: "elasticfilesystem:TagResource",
        Resource: `arn:aws:elasticfilesystem:us-east-1:${ACCOUNT}:file-system/*`,
        Condition: { StringEquals: { "elasticfilesystem:CreateAction": "CreateFileSystem" } },
      },
    ]);
    const efs = new EFSClient({ region: "us-east-1", ...as(creds) });
    const create = (token: string, encrypted: boolean, tag = "efs-guard-migrate-fs-1") =>
      efs.send(
        new CreateFileSystemCommand({
          CreationToken: token,
          Encrypted: encrypted,
          Tags: [{ Key: "efs-guard:migration", Value: tag }],
        }),
      );
    expect(await denied(create("a", true))).toBe("allowed");
    expect(await denied(create("b", false))).toMatch(/AccessDenied/);
    expect(await denied(create("c", true, "someone-else"))).toMatch(/AccessDenied/);
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

  it("aws:ResourceTag and kms:ResourceAliases are the resource's own; an untagged twin is refused", async () => {
    const efsAdmin = new EFSClient({ region: "us-east-1" });
    const tagged = (
      await efsAdmin.send(new CreateFileSystemCommand({ CreationToken: "t1", Tags: [{ Key: "team", Value: "data" }] }))
    ).FileSystemId!;
    const untagged = (await efsAdmin.send(new CreateFileSystemCommand({ CreationToken: "t2" }))).FileSystemId!;
    const kms = new KMSClient({ region: "us-east-1" });
    const aliased = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    const plain = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    await kms.send(new CreateAliasCommand({ AliasName: "alias/efs-guard-x", TargetKeyId: aliased.KeyId! }));
    const creds = await roleWith("by-tag", [
      {
        Effect: "Allow",
        Action: "elasticfilesystem:DescribeFileSystemPolicy",
        Resource: "*",
        Condition: { StringEquals: { "aws:ResourceTag/team": "data" } },
      },
      {
        Effect: "Allow",
        Action: "kms:DescribeKey",
        Resource: "*",
        Condition: { "ForAnyValue:StringLike": { "kms:ResourceAliases": "alias/efs-guard-*" } },
      },
    ]);
    const efs = new EFSClient({ region: "us-east-1", ...as(creds) });
    const policy = (id: string) => efs.send(new DescribeFileSystemPolicyCommand({ FileSystemId: id }));
    // Allowed, then EFS answers that there is no policy: authorization passed.
    expect(await denied(policy(tagged))).toBe("PolicyNotFound");
    expect(await denied(policy(untagged))).toMatch(/AccessDenied/);
    const client = new KMSClient({ region: "us-east-1", ...as(creds) });
    expect(await denied(client.send(new DescribeKeyCommand({ KeyId: aliased.Arn! })))).toBe("allowed");
    expect(await denied(client.send(new DescribeKeyCommand({ KeyId: plain.Arn! })))).toMatch(/AccessDenied/);
  });

  it("CreateFileSystem: elasticfilesystem:Encrypted and the request's tags, which need TagResource with CreateAction", async () => {
    const createOnly = {
      Effect: "Allow",
      Action: "elasticfilesystem:CreateFileSystem",
      Resource: "*",
      Condition: { Bool: { "elasticfilesystem:Encrypted": "true" }, StringEquals: { "aws:RequestTag/owner": "me" } },
    };
    const tagOnCreate = {
      Effect: "Allow",
      Action: "elasticfilesystem:TagResource",
      Resource: "*",
      Condition: { StringEquals: { "elasticfilesystem:CreateAction": "CreateFileSystem" } },
    };
    const withTag = await roleWith("create-and-tag", [createOnly, tagOnCreate]);
    const withoutTag = await roleWith("create-only", [createOnly]);
    const create = (c: RoleCredentials, token: string, encrypted: boolean | undefined, owner = "me") =>
      new EFSClient({ region: "us-east-1", ...as(c) }).send(
        new CreateFileSystemCommand({
          CreationToken: token,
          Encrypted: encrypted,
          Tags: [{ Key: "owner", Value: owner }],
        }),
      );
    expect(await denied(create(withTag, "a", true))).toBe("allowed");
    expect(await denied(create(withTag, "b", false))).toMatch(/AccessDenied/);
    expect(await denied(create(withTag, "c", undefined))).toMatch(/AccessDenied/);
    expect(await denied(create(withTag, "d", true, "someone-else"))).toMatch(/AccessDenied/);
    // Tags in the create request are authorized again as TagResource (EFS User Guide, tagging on creation).
    expect(await denied(create(withoutTag, "e", true))).toMatch(/AccessDenied/);
    // A TagResource outside a create request gets no elasticfilesystem:CreateAction: refused.
    const fs = (await new EFSClient({ region: "us-east-1" }).send(new CreateFileSystemCommand({ CreationToken: "f" })))
      .FileSystemId!;
    const tagLater = new EFSClient({ region: "us-east-1", ...as(withTag) }).send(
      new TagResourceCommand({ ResourceId: fs, Tags: [{ Key: "owner", Value: "me" }] }),
    );
    expect(await denied(tagLater)).toMatch(/AccessDenied/);
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

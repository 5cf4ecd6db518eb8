import { CreateTagsCommand } from "@aws-sdk/client-ec2";
import {
  CreateAccessPointCommand,
  TagResourceCommand as EfsTagResource,
  UntagResourceCommand as EfsUntagResource,
} from "@aws-sdk/client-efs";
import { TagResourceCommand as KmsTagResource } from "@aws-sdk/client-kms";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import { authorizeIngressEvent, ec2TagsEvent, efsTagsEvent, kmsTagsEvent } from "../../events/build.js";
import { exemptUntil } from "../support/deps.js";
import { resetEmulator } from "../support/emulator.js";
import { KeySeeder } from "../support/seed-kms.js";

let template: CfnTemplate;
beforeAll(() => {
  template = synthTemplate();
});

/** A web tier's group on a mount target with NFS open to the internet: what an exemption would protect. */
async function openGroup(seed: KeySeeder) {
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const groupId = await seed.securityGroup(vpcId, "shared");
  const fileSystemId = await seed.fileSystem();
  await seed.mountTarget(fileSystemId, subnets[0]!, [groupId]);
  const rule = await seed.nfsFrom(groupId, "0.0.0.0/0");
  return { groupId, fileSystemId, rule };
}

/** What an attacker with ec2:CreateTags does: tag the group, as the API and CloudTrail record it. */
async function tagGroup(seed: KeySeeder, host: FunctionHost, groupId: string, tags: Record<string, string>) {
  await seed.ec2.send(
    new CreateTagsCommand({ Resources: [groupId], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }),
  );
  await host.putEvents([ec2TagsEvent("CreateTags", [groupId], tags)]);
  return host.drain();
}

describe("efs-guard:* tags are no silent off-switch (issue 11 item 4), end to end on the emulator", () => {
  let host: FunctionHost;
  beforeEach(async () => {
    await resetEmulator();
    host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  });

  it("exempt=all until 2099 is alerted as a tag change, is not honoured, and the open rule is revoked", async () => {
    const seed = new KeySeeder();
    const { groupId, rule } = await openGroup(seed);
    const invocations = await tagGroup(seed, host, groupId, {
      "efs-guard:exempt": "all",
      "efs-guard:exempt-until": "2099-12-31",
    });
    expect(invocations.map((i) => i.entry)).toEqual(["functions/tag-audit/handler.ts"]);
    const [tagAlert, ...rest] = await host.alerts();
    expect(rest).toEqual([]);
    expect(tagAlert?.attributes).toEqual({ control: "efs-guard-tags-audited", severity: "high", outcome: "alerted" });
    expect(tagAlert?.message.content.description.split("\n")[0]).toBe(
      `*efs-guard tags changed on ${groupId} (CreateTags): set efs-guard:exempt=all, set efs-guard:exempt-until=2099-12-31; not honoured for efs-nfs-ingress-restricted: efs-guard:exempt-until=2099-12-31 is more than 90 days away (maxExemptionDays)*`,
    );
    // The tag alert offers no exemption of itself, and names who tagged.
    expect(tagAlert?.message.content.nextSteps.join(" ")).not.toContain("To accept this risk");
    expect(tagAlert?.message.content.description).toContain("arn:aws:iam::123456789012:role/Admin");

    // The exposure it was meant to hide is remediated at once, and the alert says why the tag did not count.
    await host.putEvents([authorizeIngressEvent({ groupId, ruleId: rule, cidr: "0.0.0.0/0" })]);
    await host.drain();
    expect(await seed.ingressRules(groupId)).toEqual([]);
    const [nfs] = await host.alerts();
    expect(nfs?.attributes.outcome).toBe("remediated");
    expect(nfs?.message.content.description).toContain(
      "(exemption not honoured: efs-guard:exempt-until=2099-12-31 is more than 90 days away (maxExemptionDays))",
    );
  });

  it("a forged date ('Tue Dec 31 2099 (anything)') and a missing end date are not honoured either", async () => {
    const seed = new KeySeeder();
    const { groupId, rule } = await openGroup(seed);
    await tagGroup(seed, host, groupId, {
      "efs-guard:exempt": "efs-nfs-ingress-restricted",
      "efs-guard:exempt-until": "Tue Dec 31 2099 (anything)",
    });
    const [tagAlert] = await host.alerts();
    expect(tagAlert?.message.content.description).toContain(
      "not honoured for efs-nfs-ingress-restricted: efs-guard:exempt-until=Tue Dec 31 2099 (anything) is not an ISO 8601 date",
    );
    await host.putEvents([authorizeIngressEvent({ groupId, ruleId: rule, cidr: "0.0.0.0/0" })]);
    await host.drain();
    expect(await seed.ingressRules(groupId)).toEqual([]);
  });

  it("an exemption within maxExemptionDays is honoured, and its setting is alerted with its end", async () => {
    const seed = new KeySeeder();
    const { groupId, rule } = await openGroup(seed);
    const until = exemptUntil(30);
    await tagGroup(seed, host, groupId, {
      "efs-guard:exempt": "efs-nfs-ingress-restricted",
      "efs-guard:exempt-until": until,
    });
    const [tagAlert] = await host.alerts();
    expect(tagAlert?.message.content.description).toContain(`; now exempts efs-nfs-ingress-restricted until ${until}*`);
    await host.putEvents([authorizeIngressEvent({ groupId, ruleId: rule, cidr: "0.0.0.0/0" })]);
    await host.drain();
    expect((await seed.ingressRules(groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([rule]);
    expect((await host.alerts()).map((a) => a.attributes.outcome)).toEqual(["exempt"]);
  });

  it("exempt=all does not exempt the tag audit itself; tag values reach the channel escaped", async () => {
    const seed = new KeySeeder();
    const { groupId } = await openGroup(seed);
    await tagGroup(seed, host, groupId, { "efs-guard:exempt": "all", "efs-guard:exempt-until": exemptUntil(10) });
    await tagGroup(seed, host, groupId, { "efs-guard:exempt-until": "<!channel> <http://evil.example|login>" });
    const alerts = await host.alerts();
    expect(alerts.map((a) => a.attributes.control)).toEqual(["efs-guard-tags-audited", "efs-guard-tags-audited"]);
    const text = alerts[1]!.message.content.description;
    expect(text).not.toMatch(/[<>]/);
    expect(text).toContain("set efs-guard:exempt-until=&lt;!channel&gt; &lt;http[:]//evil[.]example|login&gt;");
  });

  it("an exemption tag on an access point is alerted as a tag change, with who set it", async () => {
    const seed = new KeySeeder();
    const fileSystemId = await seed.fileSystem();
    const ap = await seed.efs.send(new CreateAccessPointCommand({ FileSystemId: fileSystemId, ClientToken: "ap-1" }));
    const id = ap.AccessPointId!;
    const tags = { "efs-guard:exempt": "efs-access-point-enforced", "efs-guard:exempt-until": exemptUntil(10) };
    await seed.efs.send(
      new EfsTagResource({ ResourceId: id, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }),
    );
    await host.putEvents([efsTagsEvent("TagResource", id, tags)]);
    const invocations = await host.drain();
    expect(invocations.map((i) => [i.entry, i.error])).toEqual([["functions/tag-audit/handler.ts", undefined]]);
    const [alert, ...rest] = await host.alerts();
    expect(rest).toEqual([]);
    expect(alert?.attributes).toEqual({ control: "efs-guard-tags-audited", severity: "high", outcome: "alerted" });
    expect(alert?.message.metadata.additionalContext.resource).toBe(id);
    expect(alert?.message.content.description).toContain(
      `now exempts efs-access-point-enforced until ${tags["efs-guard:exempt-until"]}`,
    );
    expect(alert?.message.content.description).toContain("arn:aws:iam::123456789012:role/Admin");
  });

  it("a change of other tag keys reaches no function; deleting every tag of a group does", async () => {
    const seed = new KeySeeder();
    const { groupId } = await openGroup(seed);
    await host.putEvents([ec2TagsEvent("CreateTags", [groupId], { Name: "web", team: "a" })]);
    expect(await host.drain()).toEqual([]);
    await host.putEvents([ec2TagsEvent("DeleteTags", [groupId], undefined)]);
    const [invocation] = await host.drain();
    expect(invocation?.entry).toBe("functions/tag-audit/handler.ts");
    const [alert] = await host.alerts();
    expect(alert?.attributes.severity).toBe("medium");
    expect(alert?.message.content.description).toContain("removed every tag; no exemption is in force now");
  });

  it("EFS TagResource/UntagResource and the older CreateTags, and KMS TagResource, are alerted", async () => {
    const seed = new KeySeeder();
    const fileSystemId = await seed.fileSystem();
    const key = await seed.keyWithFileSystem();
    const until = exemptUntil(20);
    await seed.efs.send(
      new EfsTagResource({
        ResourceId: fileSystemId,
        Tags: [
          { Key: "efs-guard:exempt", Value: "efs-tls-enforced" },
          { Key: "efs-guard:exempt-until", Value: until },
        ],
      }),
    );
    await seed.kms.send(
      new KmsTagResource({ KeyId: key.keyId, Tags: [{ TagKey: "efs-guard:exempt", TagValue: "all" }] }),
    );
    await host.putEvents([
      efsTagsEvent("TagResource", fileSystemId, {
        "efs-guard:exempt": "efs-tls-enforced",
        "efs-guard:exempt-until": until,
      }),
      efsTagsEvent("CreateTags", fileSystemId, { "efs-guard:replacement": "fs-0aaaaaaaaaaaaaaaa" }),
      kmsTagsEvent("TagResource", { sent: key.keyId, keyArn: key.arn }, { "efs-guard:exempt": "all" }),
    ]);
    await host.drain();
    const bySummary = (await host.alerts()).map((a) => a.message.metadata.summary).sort();
    expect(bySummary).toEqual(
      [
        `efs-guard-tags-audited alerted on ${fileSystemId}`,
        `efs-guard-tags-audited alerted on ${fileSystemId}`,
        `efs-guard-tags-audited alerted on ${key.keyId}`,
      ].sort(),
    );

    await seed.efs.send(new EfsUntagResource({ ResourceId: fileSystemId, TagKeys: ["efs-guard:exempt"] }));
    await host.putEvents([efsTagsEvent("UntagResource", fileSystemId, ["efs-guard:exempt"])]);
    await host.drain();
    const [removal] = await host.alerts();
    expect(removal?.attributes.severity).toBe("medium");
    expect(removal?.message.content.description).toContain("removed efs-guard:exempt; no exemption is in force now");
  });
});

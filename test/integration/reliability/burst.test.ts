import { beforeAll, describe, expect, it } from "vitest";
import { FunctionHost } from "../../../emulator/host.js";
import { Seeder } from "../../../emulator/seed.js";
import { type CfnTemplate, synthTemplate } from "../../../emulator/template.js";
import {
  authorizeIngressEvent,
  cloudTrailEnvelope,
  createMountTargetEvent,
  modifyRulesEvent,
} from "../../../events/build.js";
import { resetEmulator } from "../../support/emulator.js";
import { count, KEPT_SHAPES, snapshot } from "./account.js";

/**
 * A burst of mixed CloudTrail events through the whole local path: emulated EventBridge (the real patterns) ->
 * SQS -> function host -> handler. Counted per event id: every PutEvents entry that the rules must deliver is
 * invoked exactly as many times as it was put, every other one never; nothing is processed twice to different
 * effect (one remediation per group; the rest compliant or already-remediated).
 */
const TOTAL = Number(process.env.BURST_EVENTS ?? 1000);
const CONCURRENCY = 10;

let template: CfnTemplate;
beforeAll(() => {
  template = synthTemplate();
});

interface Planned {
  event: any;
  /** Must the EventBridge rules deliver it to the function? */
  delivered: boolean;
  kind: string;
  /** The guarded groups a delivered event points at (CreateMountTarget: every group on the mount target). */
  groups?: string[];
  /** The functions whose rules deliver it (default 1): CreateMountTarget reaches nfs-ingress and mount-targets. */
  receivers?: number;
}

describe(`burst of ${TOTAL} mixed events`, () => {
  it("all delivered events processed, none lost, none to different effect; throughput printed", async () => {
    await resetEmulator();
    const host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "CRITICAL" } });
    const seed = new Seeder();
    const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");

    // 30 groups on mount targets (6 file systems x 5), each opened to the world once; 10 groups on no mount target.
    const guarded: { groupId: string; open: string; ssh: string; mountTargetId: string; fileSystemId: string }[] = [];
    for (let f = 0; f < 6; f++) {
      const mine: string[] = [];
      for (let g = 0; g < 5; g++) {
        const groupId = await seed.securityGroup(vpcId, `burst-${f}-${g}`);
        await seed.nfsFrom(groupId, "10.0.0.0/16");
        mine.push(groupId);
      }
      const fileSystemId = await seed.fileSystem();
      const mountTargetId = await seed.mountTarget(fileSystemId, subnets[f % 3]!, mine);
      for (const groupId of mine) {
        const ssh = await seed.nfsFrom(groupId, "0.0.0.0/0", { from: 22, to: 22 });
        const open = await seed.nfsFrom(groupId, "0.0.0.0/0");
        guarded.push({ groupId, open, ssh, mountTargetId, fileSystemId });
      }
    }
    const loose: { groupId: string; open: string }[] = [];
    for (let i = 0; i < 10; i++) {
      const groupId = await seed.securityGroup(vpcId, `loose-${i}`);
      loose.push({ groupId, open: await seed.nfsFrom(groupId, "0.0.0.0/0") });
    }

    // The mix, cycling through the kinds a real CloudTrail stream holds.
    const makers: ((i: number) => Planned)[] = [
      (i) => {
        const g = guarded[i % guarded.length]!;
        return {
          kind: "open-nfs",
          delivered: true,
          groups: [g.groupId],
          event: authorizeIngressEvent({ groupId: g.groupId, ruleId: g.open, cidr: "0.0.0.0/0" }),
        };
      },
      (i) => {
        const g = guarded[i % guarded.length]!;
        return {
          kind: "ssh-rule",
          delivered: true,
          groups: [g.groupId],
          event: authorizeIngressEvent({
            groupId: g.groupId,
            ruleId: g.ssh,
            cidr: "0.0.0.0/0",
            fromPort: 22,
            toPort: 22,
          }),
        };
      },
      (i) => {
        const g = guarded[i % guarded.length]!;
        return {
          kind: "modify-rules",
          delivered: true,
          groups: [g.groupId],
          event: modifyRulesEvent(g.groupId, g.open, {
            IpProtocol: "tcp",
            FromPort: 2049,
            ToPort: 2049,
            CidrIpv4: "0.0.0.0/0",
          }),
        };
      },
      (i) => {
        const g = guarded[i % guarded.length]!;
        return {
          kind: "create-mount-target",
          delivered: true,
          receivers: 2,
          groups: guarded.filter((x) => x.mountTargetId === g.mountTargetId).map((x) => x.groupId),
          event: createMountTargetEvent({
            fileSystemId: g.fileSystemId,
            mountTargetId: g.mountTargetId,
            subnetId: subnets[0]!,
            securityGroups: [g.groupId],
          }),
        };
      },
      (i) => {
        const g = loose[i % loose.length]!;
        return {
          kind: "no-mount-target",
          delivered: true,
          event: authorizeIngressEvent({ groupId: g.groupId, ruleId: g.open, cidr: "0.0.0.0/0" }),
        };
      },
      (i) => {
        const g = guarded[i % guarded.length]!;
        return {
          kind: "failed-call",
          delivered: false,
          event: authorizeIngressEvent(
            { groupId: g.groupId, ruleId: g.open, cidr: "0.0.0.0/0" },
            { errorCode: "Client.UnauthorizedOperation", errorMessage: "You are not authorized" },
          ),
        };
      },
      (i) => ({
        kind: "egress",
        delivered: false,
        event: cloudTrailEnvelope({
          eventSource: "ec2.amazonaws.com",
          eventName: "AuthorizeSecurityGroupEgress",
          requestParameters: { groupId: guarded[i % guarded.length]!.groupId },
        }),
      }),
      (i) => ({
        kind: "own-revoke",
        delivered: false,
        event: cloudTrailEnvelope({
          eventSource: "ec2.amazonaws.com",
          eventName: "RevokeSecurityGroupIngress",
          requestParameters: { groupId: guarded[i % guarded.length]!.groupId },
        }),
      }),
      () => {
        const event = cloudTrailEnvelope({
          eventSource: "s3files.amazonaws.com",
          eventName: "CreateMountTarget",
          requestParameters: { fileSystemId: "fs-1" },
          responseElements: { mountTargetId: "fsmt-1" },
        });
        (event as any).source = "aws.s3files";
        return { kind: "foreign", delivered: false, event };
      },
    ];
    const planned: Planned[] = [];
    for (let i = 0; planned.length < TOTAL; i++) {
      const p = makers[i % makers.length]!(Math.floor(i / makers.length));
      planned.push(p);
      // Every 25th delivered event is put twice (EventBridge and Lambda deliver at least once).
      if (p.delivered && i % 25 === 0 && planned.length < TOTAL) planned.push(p);
    }

    const started = Date.now();
    await host.putEvents(planned.map((p) => p.event));
    const putMs = Date.now() - started;
    const invocations = await host.drain({ concurrency: CONCURRENCY });
    const elapsedMs = Date.now() - started;

    // Per event id: delivered events invoked as often as they were put, the others never.
    const expected = count(
      planned.filter((p) => p.delivered).flatMap((p) => Array<Planned>(p.receivers ?? 1).fill(p)),
      (p) => p.event.detail.eventID,
    );
    const actual = count(invocations, (i) => i.event.detail.eventID);
    expect(actual).toEqual(expected);
    expect(invocations.filter((i) => i.error)).toEqual([]);

    // None processed to different effect: one remediation per guarded group, nothing else remediated.
    const outcomes = invocations.flatMap((i) =>
      ((i.result as any).findings as { resource: string; outcome: string }[]).map((f) => f),
    );
    const remediations = count(
      outcomes.filter((o) => o.outcome === "remediated"),
      (o) => o.resource,
    );
    const touched = [...new Set(planned.flatMap((p) => p.groups ?? []))].sort();
    expect(Object.keys(remediations).sort()).toEqual(touched);
    for (const n of Object.values(remediations)) expect(n).toBe(1);
    for (const o of outcomes) {
      expect(["remediated", "already-remediated", "compliant", "not-applicable"]).toContain(o.outcome);
    }
    const after = await snapshot(touched);
    for (const shapes of after.shapes) expect(shapes).toEqual([...KEPT_SHAPES].sort());
    for (const g of loose)
      expect((await seed.ingressRules(g.groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([g.open]);
    const alerts = await host.alerts();
    expect(alerts.filter((a) => a.attributes.outcome === "remediated")).toHaveLength(touched.length);
    if (TOTAL >= 1000) expect(touched).toHaveLength(guarded.length);

    const delivered = planned.filter((p) => p.delivered).length;
    console.log(
      `[burst] ${planned.length} PutEvents entries (${delivered} for the function, ${planned.length - delivered} filtered by the rules) ` +
        `-> ${invocations.length} invocations in ${elapsedMs} ms (PutEvents ${putMs} ms): ` +
        `${((planned.length * 1000) / elapsedMs).toFixed(1)} events/s, ${((invocations.length * 1000) / elapsedMs).toFixed(1)} invocations/s, ` +
        `concurrency ${CONCURRENCY}; outcomes ${JSON.stringify(count(outcomes, (o) => o.outcome))}; ` +
        `kinds ${JSON.stringify(count(planned, (p) => p.kind))}`,
    );
  }, 900_000);
});

import { authorizeIngressEvent } from "../../events/build.js";
import type { ChatbotMessage } from "../../shared/notify/message.js";
import { renderForTerminal } from "../../shared/notify/render.js";
import { emulatorEnv, startEmulator } from "../../test/emulator/emulator.js";
import { FunctionHost } from "../../test/emulator/host.js";
import { synthTemplate } from "../../test/emulator/template.js";
import { Seeder } from "../../test/support/seed.js";
import { bold, dim, table as formatTable } from "../format.js";

function step(n: number, text: string) {
  console.log(`\n${bold(`[${n}]`)} ${text}`);
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  let i = 0;
  const tty = process.stdout.isTTY;
  const spinner = tty
    ? setInterval(
        () =>
          process.stdout.write(
            `\r    ${frames[i++ % frames.length]} ${label} ${dim(`${((Date.now() - started) / 1000).toFixed(1)}s`)}`,
          ),
        100,
      )
    : undefined;
  if (!tty) console.log(`    … ${label}`);
  try {
    return await work();
  } finally {
    if (spinner) clearInterval(spinner);
    const took = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`${tty ? "\r" : ""}    ✔ ${label} ${dim(`(${took}s)`)}`);
  }
}

function table(rows: string[][]): string {
  return formatTable(rows, { indent: "    ", header: bold });
}

/**
 * The main job: the whole path on the embedded emulator, with the real EventBridge patterns from the synthesized
 * stack and the real handlers. Exits 0 only when the guard did what it should.
 */
export async function runDemo(): Promise<number> {
  console.log(
    bold("EFS Guard demo") + dim(" — everything below runs locally against moto, through the real rules and handlers"),
  );
  step(1, "Starting the embedded AWS emulator");
  const emulator = await timed("moto server on 127.0.0.1", () =>
    startEmulator({ log: (l) => console.log(`    ${l}`) }),
  );
  Object.assign(process.env, emulatorEnv(emulator.endpoint), { LOG_LEVEL: "ERROR", POWERTOOLS_LOG_LEVEL: "ERROR" });
  let ok = false;
  try {
    step(2, "Synthesizing the EFS Guard stack and installing its EventBridge rules");
    const template = synthTemplate();
    const host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "ERROR" } });
    const rules = Object.values(template.Resources).filter((r) => r.Type === "AWS::Events::Rule").length;
    console.log(`    ${rules} rules installed on the default bus; alerts topic ${dim(host.alertsTopicArn)}`);

    step(3, "Building the account: a VPC over three AZs and a file system mounted in all three");
    const seed = new Seeder();
    const { vpcId, subnets } = await seed.vpc("10.20.0.0/16");
    const groupId = await seed.securityGroup(vpcId, "shared-efs");
    const fileSystemId = await seed.fileSystem({ tags: { Name: "winterday-shared" } });
    for (const subnet of subnets) await seed.mountTarget(fileSystemId, subnet, [groupId]);
    const inside = await seed.nfsFrom(groupId, "10.20.0.0/16");
    console.log(
      `    ${fileSystemId} in ${vpcId}, mount targets in ${subnets.length} subnets, security group ${groupId}`,
    );

    step(4, "Someone opens NFS (TCP 2049) to the internet on the mount targets' security group");
    const open = await seed.nfsFrom(groupId, "0.0.0.0/0");
    const before = await seed.ingressRules(groupId);
    console.log(
      table([
        ["rule", "protocol", "ports", "source"],
        ...before.map((r) => [
          r.SecurityGroupRuleId ?? "",
          r.IpProtocol ?? "",
          `${r.FromPort}-${r.ToPort}`,
          r.CidrIpv4 ?? r.CidrIpv6 ?? "",
        ]),
      ]),
    );

    step(5, "CloudTrail records AuthorizeSecurityGroupIngress; EventBridge delivers it to the guard");
    await host.putEvents([authorizeIngressEvent({ groupId, ruleId: open, cidr: "0.0.0.0/0" })]);
    const invocations = await timed("handler runs: re-read, evaluate, decide, act, report", () => host.drain());
    for (const inv of invocations) {
      const findings =
        (inv.result as { findings?: { control: string; verdict: string; action: string }[] })?.findings ?? [];
      for (const f of findings) console.log(`    ${inv.function}: ${f.control} ${f.verdict} → ${bold(f.action)}`);
      if (inv.error) console.log(`    ${inv.function}: error ${inv.error}`);
    }

    step(6, "The security group afterwards");
    const after = await seed.ingressRules(groupId);
    console.log(
      table([
        ["rule", "protocol", "ports", "source"],
        ...after.map((r) => [
          r.SecurityGroupRuleId ?? "",
          r.IpProtocol ?? "",
          `${r.FromPort}-${r.ToPort}`,
          r.CidrIpv4 ?? r.CidrIpv6 ?? "",
        ]),
      ]),
    );

    step(7, "The alert, as the Slack channel shows it");
    const alerts = await host.alerts();
    for (const alert of alerts) {
      console.log(renderForTerminal(alert.message as ChatbotMessage).replace(/^/gm, "    "));
      console.log(dim(`    message attributes: ${JSON.stringify(alert.attributes)}`));
    }

    const revoked = !after.some((r) => r.SecurityGroupRuleId === open);
    const kept = after.some((r) => r.SecurityGroupRuleId === inside);
    const alerted = alerts.some((a) => a.attributes.outcome === "remediated");
    ok = revoked && kept && alerted;
    console.log(`\n${bold("Summary")}`);
    console.log(
      table([
        ["check", "result"],
        ["open NFS rule revoked", revoked ? "yes" : "NO"],
        ["VPC-internal NFS rule kept", kept ? "yes" : "NO"],
        ["alert published (outcome=remediated)", alerted ? "yes" : "NO"],
      ]),
    );
  } finally {
    step(8, "Stopping the emulator");
    await emulator.stop();
  }
  console.log(ok ? "\nDemo finished: the exposure was closed within one event." : "\nDemo FAILED: see above.");
  return ok ? 0 : 1;
}

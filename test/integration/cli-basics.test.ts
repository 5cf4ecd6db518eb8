import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { freePort } from "../../emulator/emulator.js";
import { Seeder } from "../../emulator/seed.js";
import { REPO, spawnCli } from "../support/cli.js";
import { resetEmulator } from "../support/emulator.js";

const VERSION = JSON.parse(execFileSync("cat", [join(REPO, "package.json")], { encoding: "utf8" })).version;
const ESC = "\u001b[";

/** Runs the CLI under a pseudo-terminal (util-linux `script`), as a user's shell would; returns what it printed. */
function underPty(args: string[], env: Record<string, string> = {}): string {
  const command = [process.execPath, ...args].map((a) => `'${a}'`).join(" ");
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NODE_NO_WARNINGS: "1", TERM: "xterm-256color", ...env };
  delete childEnv.CI; // CI runs have no TTY anyway; under the pseudo-terminal this one is interactive
  delete childEnv.NO_COLOR;
  Object.assign(childEnv, env);
  // spawnSync: a scan with findings exits 1, and its output is what is checked.
  return spawnSync("script", ["-qefc", command, "/dev/null"], {
    cwd: REPO,
    encoding: "utf8",
    env: childEnv,
    timeout: 120_000,
  }).stdout;
}

describe("the command line, as a process", () => {
  beforeEach(resetEmulator);

  it("--version and -V print the version; help COMMAND is COMMAND --help", async () => {
    for (const flag of ["--version", "-V"]) {
      const run = await spawnCli([flag], {});
      expect(run).toEqual({ code: 0, stdout: `efs-guard ${VERSION}\n`, stderr: "" });
    }
    const help = await spawnCli(["help", "replay"], {});
    const direct = await spawnCli(["replay", "--help"], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(direct.stdout);
    expect(help.stdout).toMatch(/^Usage: efs-guard replay /);
    const unknown = await spawnCli(["help", "nosuch"], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.split("\n")[0]).toBe('efs-guard: unknown command "nosuch"');
    const top = await spawnCli(["help"], {});
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("-V, --version   print the version");
    expect(top.stdout).toMatch(/^ {2}emulator {4}/m);
  });

  it("Node.js support is stated in one line on an unsupported Node, never the SDK's 9-line warning", async () => {
    const run = await spawnCli(["scan", "--region", "us-east-1"], { NODE_NO_WARNINGS: "" });
    expect(run.stderr).not.toContain("NodeVersionSupportWarning");
    const major = Number(process.versions.node.split(".")[0]);
    const notice = `efs-guard: Node.js ${process.version} is past its end of life (April 2026) and unsupported; use Node.js 22 or 24`;
    if (major < 22) expect(run.stderr.split("\n")[0]).toBe(notice);
    else expect(run.stderr).not.toContain("efs-guard: Node.js");
    const engines = JSON.parse(execFileSync("cat", [join(REPO, "package.json")], { encoding: "utf8" })).engines;
    expect(engines).toEqual({ node: ">=22" });
  });

  it("an unknown AWS_PROFILE is named as such, before any call, exit 2", async () => {
    const home = mkdtempSync(join(tmpdir(), "efs-guard-home-"));
    mkdirSync(join(home, ".aws"));
    writeFileSync(join(home, ".aws", "config"), "[default]\nregion = us-east-1\n\n[profile ops]\nregion = eu-west-1\n");
    const env = {
      HOME: home,
      AWS_PROFILE: "nosuch",
      AWS_CONFIG_FILE: join(home, ".aws", "config"),
      AWS_SHARED_CREDENTIALS_FILE: join(home, ".aws", "credentials"),
    };
    for (const command of [["scan"], ["doctor"], ["replay", join(REPO, "events", "samples")], ["approve", "fs-1"]]) {
      const run = await spawnCli(command, env);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe(
        `efs-guard ${command[0]}: AWS_PROFILE=nosuch: no profile "nosuch" in ${home}/.aws/config or ` +
          `${home}/.aws/credentials (profiles there: default, ops); fix AWS_PROFILE or run aws configure --profile nosuch\n`,
      );
    }
  });

  it("a scan that could read nothing never looks clean", async () => {
    const port = await freePort();
    const run = await spawnCli(["scan"], { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });
    expect(run.code).toBe(2);
    expect(run.stdout).not.toContain("No resources to assess");
    expect(run.stdout).toBe(
      // An endpoint that does not answer ends the scan at the first read (every other would wait as long).
      "Nothing could be assessed in us-east-1: 1 read(s) failed (see stderr).\n\n" +
        "INCOMPLETE: 1 error(s); what could be read: 0 resource(s) in us-east-1: 0 non-compliant, 0 exempt, 0 compliant, 0 not applicable\n",
    );
    const json = await spawnCli(["scan", "--json"], { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).summary).toMatchObject({ resources: 0, errors: 1, complete: false });
  });

  it("a directory where a file is expected is one line naming it", async () => {
    const run = await spawnCli(["scan", "--config", "events"], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      "efs-guard scan: events is a directory; expected a JSON file: the efsGuard object, or a cdk.json with an efsGuard context\n" +
        "Run efs-guard scan --help for the options.\n",
    );
  });

  it("remediate for an alert-only control, and an unknown control id, are refused with the reason", async () => {
    const dir = mkdtempSync(join(tmpdir(), "efs-guard-cfg-"));
    const file = join(dir, "cdk.json");
    writeFileSync(file, JSON.stringify({ context: { efsGuard: { modes: { "efs-policy-not-public": "remediate" } } } }));
    const run = await spawnCli(["doctor", "--config", file], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `modes.efs-policy-not-public (got "remediate"): efs-policy-not-public is alert-only: it has no automatic remediation, so "remediate" cannot apply; allowed: "off", "alert"`,
    );
    writeFileSync(file, JSON.stringify({ modes: { "efs-tls": "alert" } }));
    // --config means the same for every command: the efsGuard object here, read by scan and doctor alike.
    for (const command of ["scan", "doctor"]) {
      const run = await spawnCli([command, "--config", file], {});
      expect(run.code).toBe(2);
      expect(run.stderr.split("\n")[0]).toBe(`efs-guard ${command}: ${file}: invalid EFS Guard configuration:`);
      expect(run.stderr).toContain(
        'modes: unknown control id(s) "efs-tls"; valid control ids: efs-encrypted-at-rest, efs-tls-enforced, efs-nfs-ingress-restricted, efs-key-rotation-enabled, efs-key-usable, efs-backup-enabled, efs-policy-not-public',
      );
    }
  });
});

describe("colour and progress follow the terminal", () => {
  beforeEach(resetEmulator);

  it("scan: bold header on a TTY; none with NO_COLOR; none when piped", async () => {
    await new Seeder().fileSystem();
    const cli = join(REPO, "bin", "efs-guard.mjs");
    const tty = underPty([cli, "scan"]);
    expect(tty).toContain(`${ESC}1mcontrol`);
    const noColor = underPty([cli, "scan"], { NO_COLOR: "1" });
    expect(noColor).toMatch(/^control\s+resource/m);
    expect(noColor).not.toContain(ESC);
    const piped = await spawnCli(["scan"], {});
    expect(piped.stdout).not.toContain("\u001b");
  });

  it("a long wait: a live spinner on a TTY; one plain line with NO_COLOR or when piped", () => {
    const fixture = [
      join(REPO, "node_modules", "tsx", "dist", "cli.mjs"),
      join(REPO, "test", "support", "progress-fixture.ts"),
    ];
    const tty = underPty(fixture);
    expect(tty).toMatch(new RegExp(`[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏](${ESC.replace("[", "\\[")}39m)? waiting a moment`));
    expect(tty).toContain(`${ESC}?25l`); // the cursor is hidden while the spinner runs
    expect(tty).toMatch(/✔.* waiting a moment .*\(1\.\ds\)/);
    const noColor = underPty(fixture, { NO_COLOR: "1" });
    expect(noColor.replace(/\r/g, "")).toMatch(/^✔ waiting a moment \(1\.\ds\)\nbold done\n$/);
    const piped = execFileSync(process.execPath, fixture, { cwd: REPO, encoding: "utf8", env: { ...process.env } });
    expect(piped).toMatch(/^✔ waiting a moment \(1\.\ds\)\nbold done\n$/);
  });
});

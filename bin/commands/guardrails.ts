import { parseArgs } from "node:util";
import { parseConfig } from "../../shared/config/schema.js";
import {
  DEFAULT_SECURITY_ROLE_ARN,
  GUARDRAILS_POLICY_NAME,
  guardrails,
  guardrailsPolicy,
  policyCharacters,
  SCP_MAX_CHARACTERS,
} from "../../shared/guardrails/scp.js";
import { ConfigError } from "../../shared/runtime/errors.js";
import { parsing, UsageError } from "../args.js";
import { loadConfig } from "../config.js";
import type { Command } from "./types.js";

const HELP = `Usage: efs-guard guardrails [--config FILE] [--security-role ARN] [--json]

Prints the service control policies (SCPs) that prevent what EFS Guard would otherwise detect and repair, each
with its rationale and the control that still detects it: no unencrypted file system (CreateFileSystem without
elasticfilesystem:Encrypted), the efs-guard:* tags only by the security role, KMS keys tagged efs-guard:efs-key
not disabled, stripped of rotation or scheduled for deletion but by the security role; and what IAM cannot
express (NFS opened to the internet), with the reason. Then the one SCP that carries them all, as the stack
attaches it with organization.guardrails.attach (docs/deploy.md, "Guardrails").

Calls no AWS API.

Options:
  --config FILE        EFS Guard configuration, as for scan and doctor; its organization.guardrails.securityRoleArn
                       names the security role (default: ${DEFAULT_SECURITY_ROLE_ARN})
  --security-role ARN  the security role, instead of the configuration's (the account may be *)
  --json               print {policyName, securityRoleArn, characters, policy, guardrails} as JSON

Exit code: 0, or 2 on an error (bad arguments, invalid configuration).`;

function securityRole(flag: string | undefined, file: string | undefined): string {
  if (flag === undefined)
    return loadConfig(file).config.organization?.guardrails.securityRoleArn ?? DEFAULT_SECURITY_ROLE_ARN;
  try {
    // The schema's rule, so the flag and the configuration accept the same ARNs.
    return parseConfig({ organization: { guardrails: { securityRoleArn: flag } } }).organization!.guardrails
      .securityRoleArn;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const why = error.issues.map((issue) => issue.replace(/^.*?securityRoleArn \(got "[^"]*"\): /, "")).join("; ");
    throw new UsageError(`--security-role (got "${flag}"): ${why}`);
  }
}

export const guardrailsCommand: Command = {
  name: "guardrails",
  summary: "print the preventive service control policies, with their rationale",
  help: HELP,
  async run(args, io) {
    const { values } = parsing(() =>
      parseArgs({
        args,
        options: {
          config: { type: "string" },
          "security-role": { type: "string" },
          json: { type: "boolean", default: false },
        },
        strict: true,
        allowPositionals: false,
      }),
    );
    const securityRoleArn = securityRole(values["security-role"], values.config);
    const list = guardrails({ securityRoleArn });
    const policy = guardrailsPolicy({ securityRoleArn });
    const characters = policyCharacters(policy);
    if (values.json) {
      io.out(
        JSON.stringify(
          { policyName: GUARDRAILS_POLICY_NAME, securityRoleArn, characters, policy, guardrails: list },
          null,
          2,
        ),
      );
      return 0;
    }
    const blocks = list.map((g) =>
      [
        `## ${g.id} (detected by ${g.control})`,
        g.rationale,
        g.statements.length > 0
          ? JSON.stringify(g.statements, null, 2)
          : `Not an SCP: ${g.limitation ?? "IAM cannot express it"}`,
      ].join("\n"),
    );
    blocks.push(
      [
        `## The SCP ${GUARDRAILS_POLICY_NAME} (${characters} of ${SCP_MAX_CHARACTERS} characters as Organizations stores it)`,
        "What an SCP never restricts: the management account, service-linked roles, principals outside the organization.",
        JSON.stringify(policy, null, 2),
      ].join("\n"),
    );
    io.out(blocks.join("\n\n"));
    return 0;
  },
};

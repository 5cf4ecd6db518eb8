import type { MemberRoleProblem, Notifier, Origin } from "../pipeline/types.js";
import { sha256 } from "./dedup.js";
import { md } from "./escape.js";
import { type ChatbotMessage, chatbotMessage } from "./message.js";
import type { AlertSender } from "./publish.js";

/** The alerts' `control` attribute for an account the hub cannot act in (subscription filter policies). */
export const MEMBER_ROLE_CONTROL = "efs-guard-member-role";

/**
 * The alert for an event of an account whose member role the hub cannot assume (not in the StackSet's
 * organizational units, the stack instance failed, or the role was deleted or changed): nothing was read or changed
 * there, and nothing will be until the role is back. Every value is escaped like any other untrusted text.
 */
export function memberRoleMessage(problem: MemberRoleProblem, origin: Origin): ChatbotMessage {
  const event = origin.kind === "event" ? origin.event : undefined;
  const eventType = event?.eventName ?? "ScheduledSweep";
  return chatbotMessage({
    id: `${event?.eventId ?? "sweep"}:${MEMBER_ROLE_CONTROL}:${problem.account}`,
    title: md`:warning: EFS Guard: member account ${problem.account} without the EFS Guard role`,
    lines: [
      md`*Account:* \`${problem.account}\` (${problem.region})`,
      md`*Role:* \`${problem.roleArn}\` cannot be assumed: STS answered \`${problem.awsCode}\``,
      ...(event ? [md`*Event:* ${event.eventName} (\`${event.eventId}\`), not evaluated and not retried`] : []),
      md`*Result:* nothing was read or changed in this account`,
    ],
    nextSteps: [
      md`Add the account's organizational unit to organization.organizationalUnitIds, or check the efs-guard-member StackSet instance of the account (the role must exist and trust the hub's function roles).`,
    ],
    keywords: [MEMBER_ROLE_CONTROL, "HIGH", "member-role-unavailable"],
    threadId: `efs-guard-account-${problem.account}`,
    summary: `${MEMBER_ROLE_CONTROL} member-role-unavailable on account ${problem.account}`,
    eventType,
    relatedResources: [problem.roleArn],
    additionalContext: {
      control: MEMBER_ROLE_CONTROL,
      outcome: "member-role-unavailable",
      account: problem.account,
      region: problem.region,
      ...(event ? { eventId: event.eventId } : {}),
    },
  });
}

/**
 * The notifier of a hub function: the deployed one, plus the member role alert, sent like every alert (its dedup
 * key is the account and STS's answer, so with deduplication on the events of one such account make one alert per
 * window).
 */
export function withMemberRoleAlerts(notifier: Notifier, send: AlertSender): Notifier {
  return {
    ...notifier,
    async publishMemberRoleUnavailable(problem, origin) {
      await send(
        memberRoleMessage(problem, origin),
        { control: MEMBER_ROLE_CONTROL, severity: "HIGH", outcome: "member-role-unavailable" },
        sha256(JSON.stringify([MEMBER_ROLE_CONTROL, problem.account, problem.awsCode])),
      );
    },
  };
}

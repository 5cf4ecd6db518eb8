import { escapeProse, sanitize } from "./escape.js";
import type { ChatbotMessage } from "./message.js";

/**
 * Alerts name the account by id and, in an organization's hub, by its name: the alerts function (the one place every
 * alert passes) looks the name up and writes it next to the id. A member account's name is chosen by that account's
 * administrator, so it is untrusted text like a tag value: escaped as prose (no mention, link, markdown or line of
 * its own; escape.ts) and capped. Organizations allows 50 characters of printable ASCII (API Reference,
 * CreateAccount: AccountName), but the cap does not rely on it.
 */
export const ACCOUNT_NAME_CAP = 64;

const ACCOUNT_ID = /^\d{12}$/;

/** The account an alert is about: `additionalContext.account`, written by the message builders (message.ts). */
export function accountOf(message: ChatbotMessage): string | undefined {
  const account = message.metadata.additionalContext.account;
  return account && ACCOUNT_ID.test(account) ? account : undefined;
}

/**
 * The alert with `(name)` after the account id, where the builders write it: `*Account:* \`ID\`` or `*Resource:* …,
 * account \`ID\``, on a line of their own (untrusted text cannot start a line: newlines are escaped, and `*` in
 * prose becomes ∗). No such line: an `*Account:*` line is added after the first. The metadata gets `accountName`.
 */
export function withAccountName(message: ChatbotMessage, account: string, name: string): ChatbotMessage {
  const span = `\`${account}\``;
  const named = `${span} (${escapeProse(name, ACCOUNT_NAME_CAP)})`;
  const lines = message.content.description.split("\n");
  const at = lines.findIndex(
    (line) =>
      line.startsWith(`*Account:* ${span}`) || (line.startsWith("*Resource:* ") && line.includes(`, account ${span}`)),
  );
  if (at >= 0) {
    const line = lines[at] as string;
    // Replacer functions: a replacement string would read `$&`, `$'` or `` $` `` in the name as patterns.
    lines[at] = line.startsWith("*Account:* ")
      ? line.replace(span, () => named)
      : line.replace(`, account ${span}`, () => `, account ${named}`);
  } else {
    lines.splice(Math.min(1, lines.length), 0, `*Account:* ${named}`);
  }
  return {
    ...message,
    content: { ...message.content, description: lines.join("\n") },
    metadata: {
      ...message.metadata,
      additionalContext: { ...message.metadata.additionalContext, accountName: sanitize(name, ACCOUNT_NAME_CAP) },
    },
  };
}

/** What the alerts function applies before publishing: the account's name, when it has one and it is readable. */
export function namingAccounts(
  lookup: (account: string) => Promise<string | undefined>,
): (message: ChatbotMessage) => Promise<ChatbotMessage> {
  return async (message) => {
    const account = accountOf(message);
    if (!account) return message;
    const name = await lookup(account);
    return name ? withAccountName(message, account, name) : message;
  };
}

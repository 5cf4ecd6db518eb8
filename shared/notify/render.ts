import type { ChatbotMessage } from "./message.js";

const EMOJI: Record<string, string> = {
  ":white_check_mark:": "✅",
  ":rotating_light:": "🚨",
  ":eyes:": "👀",
  ":zipper_mouth_face:": "🤐",
  ":x:": "❌",
  ":grey_question:": "❔",
  ":raised_hand:": "✋",
  ":no_entry:": "⛔",
  ":hourglass:": "⌛",
  ":bar_chart:": "📊",
};

/**
 * Renders a Chatbot custom notification for a terminal, the way a Slack channel shows it. `styled` turns
 * Slack's *bold* into terminal bold; without it (pipes, files, tests) the text stays plain.
 */
export function renderForTerminal(message: ChatbotMessage, styled = true, width = 100): string {
  const emoji = (s: string) => s.replace(/:[a-z_]+:/g, (m) => EMOJI[m] ?? m);
  const bold = (s: string) => (styled ? `\x1b[1m${s}\x1b[0m` : s);
  const dim = (s: string) => (styled ? `\x1b[2m${s}\x1b[0m` : s);
  const markdown = (s: string) => emoji(s).replace(/\*([^*]+)\*/g, (_, inner: string) => bold(inner));
  const bar = "│ ";
  const lines = [`┌${"─".repeat(width - 1)}`, `${bar}${bold(emoji(message.content.title))}`];
  for (const line of message.content.description.split("\n")) lines.push(`${bar}${markdown(line)}`);
  if (message.content.nextSteps.length > 0) {
    lines.push(`${bar}${bold("Next steps")}`);
    for (const step of message.content.nextSteps) lines.push(`${bar}  • ${markdown(step)}`);
  }
  lines.push(`${bar}${dim(message.content.keywords.join(" · "))}`, `└${"─".repeat(width - 1)}`);
  return lines.join("\n");
}

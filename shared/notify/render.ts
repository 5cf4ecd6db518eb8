import type { ChatbotMessage } from "./message.js";

const EMOJI: Record<string, string> = {
  ":white_check_mark:": "✅",
  ":rotating_light:": "🚨",
  ":eyes:": "👀",
  ":zipper_mouth_face:": "🤐",
  ":x:": "❌",
  ":grey_question:": "❔",
};

/** Renders a Chatbot custom notification for a terminal, the way a Slack channel shows it. */
export function renderForTerminal(message: ChatbotMessage, width = 100): string {
  const emoji = (s: string) => s.replace(/:[a-z_]+:/g, (m) => EMOJI[m] ?? m);
  const markdown = (s: string) => emoji(s).replace(/\*([^*]+)\*/g, "\x1b[1m$1\x1b[0m");
  const bar = "│ ";
  const lines = [`┌${"─".repeat(width - 1)}`, `${bar}\x1b[1m${emoji(message.content.title)}\x1b[0m`];
  for (const line of message.content.description.split("\n")) lines.push(`${bar}${markdown(line)}`);
  if (message.content.nextSteps.length > 0) {
    lines.push(`${bar}\x1b[1mNext steps\x1b[0m`);
    for (const step of message.content.nextSteps) lines.push(`${bar}  • ${markdown(step)}`);
  }
  lines.push(`${bar}\x1b[2m${message.content.keywords.join(" · ")}\x1b[0m`, `└${"─".repeat(width - 1)}`);
  return lines.join("\n");
}

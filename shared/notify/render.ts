import { decodeEntities, EMOJI, spans } from "./escape.js";
import type { ChatbotMessage } from "./message.js";

/**
 * Renders a Chatbot custom notification for a terminal, the way a Slack channel shows it. `styled` turns
 * Slack's *bold* into terminal bold; without it (pipes, files, tests) the text stays plain. Code spans are shown
 * as they are (no bold, no emoji inside, like Slack), and the entities of escape.ts are decoded.
 */
export function renderForTerminal(message: ChatbotMessage, styled = true, width = 100): string {
  const bold = (s: string) => (styled ? `\x1b[1m${s}\x1b[0m` : s);
  const dim = (s: string) => (styled ? `\x1b[2m${s}\x1b[0m` : s);
  const markdown = (s: string) =>
    spans(s)
      .map((part) =>
        part.code
          ? decodeEntities(part.text)
          : decodeEntities(
              part.text
                .replace(/:[a-z_]+:/g, (m) => EMOJI[m] ?? m)
                .replace(/\*([^*]+)\*/g, (_, inner: string) => bold(inner)),
            ),
      )
      .join("");
  const bar = "│ ";
  const lines = [`┌${"─".repeat(width - 1)}`, `${bar}${bold(markdown(message.content.title).replace(/\*/g, ""))}`];
  for (const line of message.content.description.split("\n")) lines.push(`${bar}${markdown(line)}`);
  if (message.content.nextSteps.length > 0) {
    lines.push(`${bar}${bold("Next steps")}`);
    for (const step of message.content.nextSteps) lines.push(`${bar}  • ${markdown(step)}`);
  }
  lines.push(`${bar}${dim(message.content.keywords.join(" · "))}`, `└${"─".repeat(width - 1)}`);
  return lines.join("\n");
}

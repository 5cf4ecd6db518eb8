/**
 * The one place where text that EFS Guard did not write becomes alert text. Tag values, names, descriptions, policy
 * text, CloudTrail fields (userIdentity, userAgent, sourceIPAddress), AWS error messages, approval reasons and
 * comments are all written by whoever may call the API, so none of it may format the channel, mention people, carry
 * a link, fake a line of the alert or hide its own direction. Two targets:
 *
 * - AWS Chatbot `client-markdown` (Slack mrkdwn). Slack documents `&`, `<` and `>` as its control characters, to be
 *   sent as `&amp;`, `&lt;`, `&gt;` (api.slack.com/reference/surfaces/formatting, "Escaping text"); that disarms
 *   `<!channel>`, `<!here>`, `<@U…>`, `<#C…>` and `<http://x|y>`. Slack has no escape for `*bold*`, `_italic_`,
 *   `~strike~` and `` `code` ``, so outside a code span those markers become look-alikes (∗, ˍ, ∼, ˋ), an
 *   underscore inside a word (snake_case, SSO role names) staying as it is because Slack never formats it there;
 *   emoji short codes and URLs are broken up. Inside a code span only the backtick (which would end it) changes.
 * - E-mail text (`toPlainText`): the same message without markdown, entities decoded, URLs defanged so that a mail
 *   client does not make them links.
 *
 * For both: newlines become ⏎ (a value cannot add a line such as "*Decision:* exempt"), control and invisible format
 * characters (bidi overrides and isolates, zero-width characters, tag characters) become �, and every value is
 * capped (…, with how much was cut).
 *
 * Use: message builders write `md` templates. Every interpolation is escaped for where it stands (in a code span
 * or not); an `Md` (another md template) is inserted as is; `capped(value, max)` sets the length cap.
 */

/** Markdown written by EFS Guard, with every interpolated value already escaped. */
export class Md {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

class Capped {
  constructor(
    readonly value: unknown,
    readonly max: number,
  ) {}
}

/** Default caps: a value in a code span (ids, ARNs, tag values, addresses) and free text (reasons, summaries). */
export const CAP = { code: 256, prose: 1000 } as const;

/** A value with its own length cap, e.g. `capped(comment, 500)`. */
export function capped(value: unknown, max: number): Capped {
  return new Capped(value, max);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const NEWLINES = /\r\n|[\n\r\u0085\u2028\u2029]/g;
// Controls (C0, DEL, C1) and invisible format characters: bidi embeddings/overrides/isolates and marks, zero-width
// space/joiners, word joiner, BOM, soft hyphen, interlinear annotations, tag characters.
const INVISIBLE = /[\p{Cc}\p{Cf}]/gu;

/** Newlines, controls, invisible characters and length, for any target (also the plain strings of the metadata). */
export function sanitize(value: unknown, max: number = CAP.prose): string {
  const text = (typeof value === "string" ? value : String(value)).replace(LONE_SURROGATE, "\uFFFD");
  const flat = text.replace(NEWLINES, "⏎").replace(/\t/g, " ").replace(INVISIBLE, "\uFFFD");
  const chars = Array.from(flat);
  if (chars.length <= max) return flat;
  const keep = Math.max(1, max - 1);
  return `${chars.slice(0, keep).join("")}… (${chars.length - keep} more characters)`;
}

function entities(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** scheme://host.name -> scheme[:]//host[.]name: readable, not a link in Slack or a mail client. */
function defangUrls(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*):\/\/(\S*)/gi, (_, scheme: string, rest: string) => {
    return `${scheme}[:]//${rest.replace(/\./g, "[.]")}`;
  });
}

/** A value inside a code span: nothing formats there but the backtick that would end it. */
export function escapeCode(value: unknown, max: number = CAP.code): string {
  return entities(sanitize(value, max)).replace(/`/g, "ˋ");
}

/** A value in running text: no markdown, mention, link, emoji or quote may come out of it. */
export function escapeProse(value: unknown, max: number = CAP.prose): string {
  const text = defangUrls(sanitize(value, max))
    .replace(/\*/g, "∗")
    .replace(/~/g, "∼")
    .replace(/`/g, "ˋ")
    // Slack formats _x_ only at word boundaries; an underscore inside a word (snake_case) is left alone.
    .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, "ˍ")
    // :short_code: renders as an emoji (a fake ✅); ARNs (arn:aws:…) and times are not short codes.
    .replace(/(^|[^\p{L}\p{N}]):([a-z0-9_+-]*[a-z][a-z0-9_+-]*):/giu, "$1∶$2∶");
  return entities(text);
}

function backticks(text: string): number {
  let n = 0;
  for (const c of text) if (c === "`") n++;
  return n;
}

/**
 * The template tag of every alert text: `md\`*Resource:* \`${id}\` in ${region}\``. The literal parts are ours
 * (markdown); each interpolation is escaped as code when it stands inside a code span of the literal text, as
 * prose otherwise; an Md is inserted unchanged; arrays are joined with ", ".
 */
export function md(strings: TemplateStringsArray, ...values: unknown[]): Md {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += render(value, backticks(out) % 2 === 1);
    out += strings[i + 1] ?? "";
  });
  return new Md(out);
}

function render(value: unknown, inCode: boolean): string {
  if (value instanceof Md) return value.text;
  if (Array.isArray(value)) return value.map((v) => render(v, inCode)).join(", ");
  const max = value instanceof Capped ? value.max : inCode ? CAP.code : CAP.prose;
  const raw = value instanceof Capped ? value.value : value;
  if (raw instanceof Md) return raw.text;
  return inCode ? escapeCode(raw ?? "", max) : escapeProse(raw ?? "", max);
}

/** Joins Md parts (lines, list items) without escaping them again. */
export function joinMd(parts: readonly Md[], separator: string): Md {
  return new Md(parts.map((p) => p.text).join(separator));
}

/** Splits markdown into code spans and the text between them, for the renderers below. */
export function spans(text: string): { code: boolean; text: string }[] {
  const out: { code: boolean; text: string }[] = [];
  const parts = text.split(/(```[\s\S]*?```|`[^`]*`)/);
  for (const part of parts) {
    if (part === "") continue;
    if (part.startsWith("```") && part.endsWith("```") && part.length >= 6) {
      out.push({ code: true, text: part.slice(3, -3) });
    } else if (part.startsWith("`") && part.endsWith("`") && part.length >= 2) {
      out.push({ code: true, text: part.slice(1, -1) });
    } else out.push({ code: false, text: part });
  }
  return out;
}

export function decodeEntities(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** The emoji short codes EFS Guard itself writes, for targets that do not render them. */
export const EMOJI: Record<string, string> = {
  ":white_check_mark:": "✅",
  ":rotating_light:": "🚨",
  ":eyes:": "👀",
  ":zipper_mouth_face:": "🤐",
  ":x:": "❌",
  ":grey_question:": "❔",
  ":raised_hand:": "✋",
  ":no_entry:": "⛔",
  ":no_entry_sign:": "🚫",
  ":hourglass:": "⌛",
  ":bar_chart:": "📊",
  ":label:": "🏷️",
  ":repeat:": "🔁",
};

/**
 * Markdown -> e-mail text: our bold markers and backticks go (an untrusted `*` outside code was already turned
 * into ∗, so any `*` left there is ours), our emoji short codes become the emoji, entities are decoded, and URLs
 * are defanged again after decoding (a code span keeps them verbatim for Slack, where code is never a link).
 */
export function toPlainText(markdown: string | Md): string {
  const text = markdown instanceof Md ? markdown.text : markdown;
  const plain = spans(text)
    .map((s) => (s.code ? s.text : s.text.replace(/\*/g, "").replace(/:[a-z_]+:/g, (m) => EMOJI[m] ?? m)))
    .join("");
  return defangUrls(decodeEntities(plain));
}

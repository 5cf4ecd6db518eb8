import pc from "picocolors";
import yoctoSpinner from "yocto-spinner";

/**
 * What the CLI may do on an output stream, decided once per stream: colour (escape sequences) and live progress
 * (a spinner that rewrites its line). Both follow the terminal, never a guess:
 * - colour only on a TTY whose `hasColors()` says so; Node's check honours NO_COLOR, NODE_DISABLE_COLORS,
 *   FORCE_COLOR and TERM=dumb (https://nodejs.org/api/tty.html#writestreamgetcolordepthenv), so a pipe, a file
 *   or NO_COLOR=1 gives plain text;
 * - a spinner only on an interactive TTY (not TERM=dumb, not CI, not NO_COLOR), else one line per finished step.
 * picocolors formats (createColors takes our decision; its own detection would colour non-TTY output when CI is
 * set), yocto-spinner animates: both small, maintained and dependency-light.
 */
export interface TerminalStream {
  isTTY?: boolean;
  hasColors?: (count?: number) => boolean;
  write(chunk: string): boolean;
}

export function colourOn(stream: TerminalStream | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!stream?.isTTY || typeof stream.hasColors !== "function") return false;
  // hasColors() reads FORCE_COLOR / NO_COLOR / TERM from process.env; an explicit NO_COLOR always wins.
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return stream.hasColors();
}

export function interactive(stream: TerminalStream | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  // A spinner rewrites its line with escape sequences: with NO_COLOR the output has none at all.
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== "";
  return Boolean(stream?.isTTY) && env.TERM !== "dumb" && !("CI" in env) && !noColor;
}

export type Styles = ReturnType<typeof pc.createColors>;

/** Styles that are no-ops unless `enabled`: callers format freely and plain output stays plain. */
export function styles(enabled: boolean): Styles {
  return pc.createColors(enabled);
}

export interface ProgressOptions {
  /** Where the live line goes (a TTY); absent: no spinner, one line per step through `line`. */
  live?: TerminalStream | undefined;
  /** Writes one finished-step line (the command's own output channel). */
  line: (text: string) => void;
  styles: Styles;
  indent?: string;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/**
 * Runs `work` under a progress indicator: on an interactive terminal a spinner with the elapsed seconds, replaced
 * by one line when done; otherwise just that one line at the end. A failure prints a failed line and rethrows.
 */
export async function withProgress<T>(label: string, work: () => Promise<T>, options: ProgressOptions): Promise<T> {
  const { styles: s } = options;
  const indent = options.indent ?? "";
  const started = Date.now();
  const spinner = options.live
    ? yoctoSpinner({
        text: label,
        stream: options.live as unknown as NodeJS.WriteStream,
        // SIGINT stays with the command (the emulator stops cleanly on Ctrl-C); the spinner must not exit for it.
        handleSignals: false,
      }).start()
    : undefined;
  const timer = spinner
    ? setInterval(() => {
        spinner.text = `${label} ${s.dim(`(${seconds(Date.now() - started)})`)}`;
      }, 250)
    : undefined;
  const end = () => {
    if (timer) clearInterval(timer);
    spinner?.stop();
  };
  try {
    const out = await work();
    end();
    options.line(`${indent}${s.green("✔")} ${label} ${s.dim(`(${seconds(Date.now() - started)})`)}`);
    return out;
  } catch (error) {
    end();
    options.line(`${indent}${s.red("✖")} ${label} ${s.dim(`(failed after ${seconds(Date.now() - started)})`)}`);
    throw error;
  }
}

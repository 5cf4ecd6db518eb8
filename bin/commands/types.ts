import type { TerminalStream } from "../terminal.js";

/** Where a command writes: stdout for results (tables, JSON), stderr for notes, warnings and errors. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Writes text as it is, without a newline (a CSV report ends with its own CRLF). Falls back to out. */
  write?(text: string): void;
  /** Whether stdout may carry colour (a TTY without NO_COLOR); false for pipes, files and tests. */
  styled?: boolean;
  /** stdout when it is an interactive terminal, for live progress (a spinner); absent: one line per step. */
  live?: TerminalStream;
}

/** One efs-guard command. Exit codes: 0 ok / compliant, 1 non-compliant findings or a failed check, 2 error. */
export interface Command {
  name: string;
  summary: string;
  help: string;
  /** Calls AWS: the environment's credentials are checked first (an unknown AWS_PROFILE is named as such). */
  aws?: boolean;
  /** `io` is where output goes (the process's streams when run from the shell; a buffer in tests). */
  run(args: string[], io: Io): Promise<number>;
}

/** A mistake in how the command was called: exit code 2, with what was wrong and what to do. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Runs node:util parseArgs (strict) and turns its errors ("Unknown option '--foo'") into UsageError, so the
 * command prints them with its usage line and exits 2.
 */
export function parsing<R>(parse: () => R): R {
  try {
    return parse();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(message.replace(/\. To specify a positional argument starting with a '-'.*$/s, ""));
  }
}

/** The default region, from the standard environment. */
export function defaultRegion(): string | undefined {
  return process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || undefined;
}

/**
 * Node's file-system errors ("EISDIR: illegal operation on a directory, read") say what the syscall hit, not what
 * the user gave or what was expected. These turn them into one line naming the path and what it should be.
 */
const WHAT: Record<string, string> = {
  ENOENT: "does not exist",
  EISDIR: "is a directory",
  ENOTDIR: "is not under a directory (a part of the path is a file)",
  EACCES: "is not readable (permission denied)",
  EPERM: "is not readable (operation not permitted)",
  ELOOP: "is a loop of symbolic links",
  ENAMETOOLONG: "is too long a path",
  EMFILE: "cannot be opened now (too many open files)",
  ENXIO: "is not a regular file (a socket or a device without a reader)",
};

export interface FsError {
  code: string;
  path?: string;
  syscall?: string;
}

export function isFsError(error: unknown): error is Error & FsError {
  if (!(error instanceof Error)) return false;
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  return typeof code === "string" && code in WHAT && typeof syscall === "string";
}

/** "cdk.json is a directory; expected a JSON file", or undefined when `error` is not a file-system error. */
export function fsProblem(error: unknown, path?: string, expected?: string): string | undefined {
  if (!isFsError(error)) return undefined;
  const where = path ?? error.path ?? "the path";
  return `${where} ${WHAT[error.code]}${expected ? `; expected ${expected}` : ""}`;
}

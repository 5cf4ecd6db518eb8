import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

/**
 * Reads a whole regular file, refusing anything that could read forever or block: a device (`/dev/zero`,
 * `/dev/stdin`), a FIFO or socket (opened non-blocking, so a FIFO without a writer does not hang the open), a
 * directory, or a file larger than `maxBytes`. The checks are made on the opened descriptor, so a file swapped
 * after a stat cannot slip through. Throws an Error whose message says what was wrong, for the caller to name the
 * path with.
 */
export function readBounded(path: string, maxBytes: number): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      const kind = stat.isDirectory()
        ? "a directory"
        : stat.isFIFO()
          ? "a FIFO (named pipe)"
          : stat.isCharacterDevice() || stat.isBlockDevice()
            ? "a device"
            : stat.isSocket()
              ? "a socket"
              : "not a regular file";
      throw new Error(`${kind}, not a regular file`);
    }
    if (stat.size > maxBytes) throw new Error(`${stat.size} bytes, more than the ${maxBytes} allowed`);
    // Read up to one byte past the limit: a file that grows while being read is refused, not cut.
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) throw new Error(`more than the ${maxBytes} bytes allowed`);
      if (length === buffer.length) break;
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/** The depth of the deepest array or object in a parsed JSON value, counted without recursion. */
export function jsonDepth(value: unknown, stopAt = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== "object") continue;
    if (depth > deepest) deepest = depth;
    if (deepest > stopAt) return deepest;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

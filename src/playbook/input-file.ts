/**
 * Reading a file the user names (a playbook): only a regular file, and at
 * most a given size. The type is checked with fstat on the opened
 * descriptor, not on the path, so nothing can be swapped in between; the
 * open is non-blocking, so a FIFO is refused instead of waiting forever for
 * a writer; a device such as /dev/zero is refused instead of read without end.
 */
import { createHash } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { CutoverError, ErrorCode, PlaybookInvalidError } from "../core/errors.js";

/** What a non-regular file is, in words. */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/** A playbook text's SHA-256 (hex): what a run journals as `playbook.hash` and what tells a changed file. */
export function playbookHash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The largest playbook cutover reads (1 MiB): a bigger file is refused before it is parsed. */
export const MAX_PLAYBOOK_BYTES = 1024 * 1024;

/** The text of `file`, refused (exit 2, located at 1:1) unless it is a regular file of at most `maxBytes`. */
export function readRegularFile(file: string, maxBytes: number, what = "playbook"): string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new CutoverError(ErrorCode.Usage, `cannot read ${what} ${file}: ${code}`, {
      hint: "give the path of a playbook YAML file, e.g. playbooks/local-demo.yaml",
    });
  }
  const refuse = (message: string) => new PlaybookInvalidError([{ file, line: 1, column: 1, path: "", message }]);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw refuse(`the ${what} is ${fileKind(st)}; give a regular file`);
    if (st.size > maxBytes) throw refuse(`the file is ${st.size} bytes, more than the ${maxBytes} allowed`);
    // Reads up to one byte past the limit: a file that grew past it since fstat is refused too.
    let buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > maxBytes) throw refuse(`the file is larger than ${maxBytes} bytes; split it or trim it`);
        buf = Buffer.concat([buf, Buffer.alloc(Math.min(buf.length, maxBytes + 1 - buf.length))]);
      }
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    return buf.subarray(0, n).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

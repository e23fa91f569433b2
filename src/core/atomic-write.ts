/**
 * Replace a file atomically, the one way cutover does it (lease files, the
 * flag file, the local environment's state, nginx's upstream include):
 * write a temporary sibling, fsync it, rename it over the target, fsync the
 * directory. Readers see the old or the new content, never a mix, and a
 * crash leaves one of the two (plus, at worst, a temporary file).
 *
 * Open, write, close and rename are synchronous: page-cache operations of
 * microseconds, where each thread-pool round trip would wait for an event-loop
 * turn, which in a busy process (the local supervisor, proxying every request
 * of a release under load) made one state.json write take 20 ms and more. The
 * two flushes, the waits that matter, stay off the event loop.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** A unique hidden sibling name for temporary files: recognisable, never clashing, never read as the real file. */
export function tempSibling(file: string, suffix = "tmp"): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.${suffix}`,
  );
}

/**
 * fsync a directory so a file created, renamed or removed in it survives a
 * power loss (the entry lives in the directory, not in the file). Filesystems
 * that cannot fsync a directory (EINVAL, ENOTSUP) still rename atomically.
 */
export async function fsyncDir(dir: string): Promise<void> {
  const fd = fs.openSync(dir, "r");
  try {
    await fsync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw e;
  } finally {
    fs.closeSync(fd);
  }
}

function fsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
}

export interface AtomicWriteOptions {
  /** Mode of the new file (default 0600: cutover's files are private to the user). */
  mode?: number;
}

/** Replace `file` with `content` atomically and durably (see the module comment). */
export async function writeFileAtomic(
  file: string,
  content: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const tmp = tempSibling(file);
  const fd = fs.openSync(tmp, "wx", options.mode ?? 0o600);
  try {
    fs.writeFileSync(fd, content);
    await fsync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  await fsyncDir(path.dirname(file));
}

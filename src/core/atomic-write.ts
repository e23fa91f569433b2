/**
 * Replace a file atomically, the one way cutover does it (lease files, the
 * flag file, the local environment's state, nginx's upstream include):
 * write a temporary sibling, fsync it, rename it over the target, fsync the
 * directory. Readers see the old or the new content, never a mix, and a
 * crash leaves one of the two (plus, at worst, a temporary file).
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
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
  const handle = await fs.open(dir, "r");
  try {
    await handle.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw e;
  } finally {
    await handle.close();
  }
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
  const handle = await fs.open(tmp, "wx", options.mode ?? 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(path.dirname(file));
}

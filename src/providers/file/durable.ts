/**
 * Small durable-filesystem helpers shared by the journal, the leases and the
 * flag file. Everything cutover writes under its state directory is private
 * to the user (directories 0700, files 0600): journals can name hosts, users
 * and release parameters.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/** Create `dir` (and parents) with mode 0700 if missing. */
export async function ensureDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: DIR_MODE });
}

/**
 * fsync a directory so a file created, renamed or removed in it survives a
 * power loss (the entry lives in the directory, not in the file).
 */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A unique sibling name for temporary files: recognisable, never clashing. */
export function tempSibling(file: string, suffix = "tmp"): string {
  return `${file}.${process.pid}.${randomBytes(4).toString("hex")}.${suffix}`;
}

/**
 * Replace `file` atomically with `content`: write a temporary sibling, fsync
 * it, rename it over the target, fsync the directory. Readers see the old or
 * the new content, never a mix, and a crash leaves one of the two.
 */
export async function atomicWriteFile(file: string, content: string): Promise<void> {
  const tmp = tempSibling(file);
  const handle = await fs.open(tmp, "wx", FILE_MODE);
  try {
    await handle.writeFile(content, "utf8");
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

/** The file's text, or undefined when it does not exist. */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (e) {
    if (isErrno(e, "ENOENT")) return undefined;
    throw e;
  }
}

export function isErrno(e: unknown, code: string): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === code;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

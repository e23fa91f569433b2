/**
 * Small durable-filesystem helpers shared by the journal, the leases and the
 * flag file. Everything cutover writes under its state directory is private
 * to the user (directories 0700, files 0600): journals can name hosts, users
 * and release parameters.
 */
import { promises as fs } from "node:fs";

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/** Create `dir` (and parents) with mode 0700 if missing. */
export async function ensureDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: DIR_MODE });
}

// The one atomic write (and its temp names and directory fsync) lives in src/core/atomic-write.ts.
export { fsyncDir, tempSibling, writeFileAtomic as atomicWriteFile } from "../../core/atomic-write.js";

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

export { setTimeout as sleep } from "node:timers/promises";

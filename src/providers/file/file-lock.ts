/**
 * A cross-process mutex made of a lock file, for the short critical sections
 * of the file store (check the last seq + append + fsync; read-modify-replace
 * of a lease or the flag file). Node has no flock(), so:
 *
 * - Acquire = hard-link a fully written temporary file to the lock path.
 *   link() fails with EEXIST if the lock exists, atomically, and the lock
 *   never appears half-written (unlike open(O_EXCL) followed by write()).
 * - The lock records pid, host, time and a nonce. A holder that was SIGKILLed
 *   must not block everyone forever (Squidex's "locked forever"): a lock whose
 *   pid is dead on this host is stale at once; any lock older than `staleMs`
 *   is stale (pid reuse after a reboot, a holder on another host). Critical
 *   sections last milliseconds, so 30 s is far beyond any live holder.
 * - Breaking a stale lock is itself guarded by a short-lived `.break` lock and
 *   re-checks the content, so two waiters that both saw the same stale lock
 *   cannot delete the fresh lock one of them just took.
 * - Waiters in the same process queue on a promise chain instead of polling.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CutoverError, ErrorCode } from "../../errors.js";
import { FILE_MODE, ensureDir, isErrno, sleep, tempSibling } from "./durable.js";

export interface FileLockOptions {
  /** Give up waiting for the lock after this many ms (default 10 s). */
  timeoutMs?: number;
  /** A lock older than this is abandoned even if its pid seems alive (default 30 s). */
  staleMs?: number;
}

interface LockOwner {
  pid: number;
  host: string;
  at: number;
  nonce: string;
}

export interface HeldLock {
  release(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_STALE_MS = 30_000;
/** The `.break` guard is held for microseconds; older than this it is abandoned. */
const BREAKER_STALE_MS = 5_000;
const hostname = os.hostname();

/** Tail of the in-process queue per lock path. */
const localQueues = new Map<string, Promise<void>>();

/** Run `fn` holding the lock at `lockPath`. */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const lock = await acquireFileLock(lockPath, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

export async function acquireFileLock(lockPath: string, options: FileLockOptions = {}): Promise<HeldLock> {
  // Queue behind earlier holders from this process first: cheaper than polling the file.
  const previous = localQueues.get(lockPath) ?? Promise.resolve();
  let releaseLocal!: () => void;
  const mine = new Promise<void>((resolve) => (releaseLocal = resolve));
  const tail = previous.then(() => mine);
  localQueues.set(lockPath, tail);
  const dropLocal = () => {
    releaseLocal();
    if (localQueues.get(lockPath) === tail) localQueues.delete(lockPath);
  };
  await previous;
  try {
    const owner = await acquireLockFile(lockPath, options);
    return {
      release: async () => {
        try {
          await removeIfOwned(lockPath, owner);
        } finally {
          dropLocal();
        }
      },
    };
  } catch (e) {
    dropLocal();
    throw e;
  }
}

async function acquireLockFile(lockPath: string, options: FileLockOptions): Promise<LockOwner> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    const owner: LockOwner = { pid: process.pid, host: hostname, at: Date.now(), nonce: randomBytes(8).toString("hex") };
    if (await tryCreate(lockPath, JSON.stringify(owner))) return owner;
    const seen = await inspect(lockPath, staleMs);
    if (seen === "gone") continue;
    if (seen.stale) {
      await breakStaleLock(lockPath, seen.raw);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = seen.owner ? `pid ${seen.owner.pid} on ${seen.owner.host} since ${new Date(seen.owner.at).toISOString()}` : "an unknown process";
      throw new CutoverError(ErrorCode.Provider, `timed out after ${timeoutMs} ms waiting for lock ${lockPath}, held by ${who}`, {
        hint: "another cutover process is writing the same state; if it is gone and the lock stays, delete the lock file",
        retryable: true,
      });
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 20);
  }
}

/** Create the lock file with `content` atomically; false if it already exists. */
async function tryCreate(lockPath: string, content: string): Promise<boolean> {
  const tmp = tempSibling(lockPath, "new");
  try {
    await fs.writeFile(tmp, content, { flag: "wx", mode: FILE_MODE });
  } catch (e) {
    if (!isErrno(e, "ENOENT")) throw e;
    await ensureDir(path.dirname(lockPath));
    await fs.writeFile(tmp, content, { flag: "wx", mode: FILE_MODE });
  }
  try {
    await fs.link(tmp, lockPath);
    return true;
  } catch (e) {
    if (isErrno(e, "EEXIST")) return false;
    if (isErrno(e, "EPERM") || isErrno(e, "ENOTSUP") || isErrno(e, "EOPNOTSUPP")) return tryCreateExclusive(lockPath, content);
    throw e;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Fallback for filesystems without hard links: O_EXCL create, then write. */
async function tryCreateExclusive(lockPath: string, content: string): Promise<boolean> {
  try {
    await fs.writeFile(lockPath, content, { flag: "wx", mode: FILE_MODE });
    return true;
  } catch (e) {
    if (isErrno(e, "EEXIST")) return false;
    throw e;
  }
}

type Inspection = "gone" | { stale: boolean; raw: string; owner?: LockOwner };

async function inspect(lockPath: string, staleMs: number): Promise<Inspection> {
  let raw: string;
  let mtimeMs: number;
  try {
    raw = await fs.readFile(lockPath, "utf8");
    mtimeMs = (await fs.stat(lockPath)).mtimeMs;
  } catch (e) {
    if (isErrno(e, "ENOENT")) return "gone";
    throw e;
  }
  const owner = parseOwner(raw);
  if (!owner) {
    // Only the O_EXCL fallback can show a half-written lock, and only for an instant.
    return { stale: Date.now() - mtimeMs > Math.min(staleMs, BREAKER_STALE_MS), raw };
  }
  const age = Date.now() - owner.at;
  if (owner.host === hostname && !isPidAlive(owner.pid)) return { stale: true, raw, owner };
  return { stale: age > staleMs, raw, owner };
}

function parseOwner(raw: string): LockOwner | undefined {
  try {
    const v = JSON.parse(raw) as Partial<LockOwner>;
    if (typeof v.pid === "number" && typeof v.host === "string" && typeof v.at === "number" && typeof v.nonce === "string") {
      return v as LockOwner;
    }
  } catch {
    // fall through
  }
  return undefined;
}

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return !isErrno(e, "ESRCH");
  }
}

/** Delete the lock if it still holds exactly the stale content we judged. */
async function breakStaleLock(lockPath: string, staleRaw: string): Promise<void> {
  const breaker = `${lockPath}.break`;
  const me: LockOwner = { pid: process.pid, host: hostname, at: Date.now(), nonce: randomBytes(8).toString("hex") };
  if (!(await tryCreate(breaker, JSON.stringify(me)))) {
    const seen = await inspect(breaker, BREAKER_STALE_MS);
    if (seen !== "gone" && seen.stale) await fs.rm(breaker, { force: true });
    else await sleep(1);
    return;
  }
  try {
    const now = await fs.readFile(lockPath, "utf8").catch((e: unknown) => {
      if (isErrno(e, "ENOENT")) return undefined;
      throw e;
    });
    if (now === staleRaw) await fs.rm(lockPath, { force: true });
  } finally {
    await removeIfOwned(breaker, me);
  }
}

/** Remove the lock only if it is still ours (it may have been broken as stale and retaken). */
async function removeIfOwned(lockPath: string, owner: LockOwner): Promise<void> {
  let raw: string;
  try {
    raw = await fs.readFile(lockPath, "utf8");
  } catch (e) {
    if (isErrno(e, "ENOENT")) return;
    throw e;
  }
  if (parseOwner(raw)?.nonce === owner.nonce) await fs.rm(lockPath, { force: true });
}

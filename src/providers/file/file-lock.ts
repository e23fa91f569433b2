/**
 * A cross-process mutex made of a lock file, for the short critical sections
 * of the file store (check the last seq + append + fsync; read-modify-replace
 * of a lease or the flag file). Node has no flock(), so:
 *
 * - Acquire = hard-link a fully written temporary file to the lock path.
 *   link() fails with EEXIST if the lock exists, atomically, and the lock
 *   never appears half-written (unlike open(O_EXCL) followed by write()).
 * - The lock records pid, host and time. A holder that was SIGKILLed must not
 *   block everyone forever (Squidex's "locked forever"): a lock whose pid is
 *   dead on this host is stale at once, and so is one whose pid now belongs
 *   to a process started after the lock was taken (pid reuse, a reboot; see
 *   src/core/process-identity.ts).
 * - A lock is a lease too: its holder renews it (touches its mtime) every
 *   quarter of `ttlMs` while it holds it, and a lock not renewed within
 *   `ttlMs` is stale even if its pid is alive. A holder stopped with SIGSTOP
 *   or ^Z, or frozen with its container, renews nothing, so it cannot wedge
 *   every other cutover (`unlock --force` included) until someone sends it
 *   SIGCONT. When it continues, what it writes is refused: every critical
 *   section re-reads the state it guards (the lease token fences the
 *   journal and the lease file), and `assertHeld()` says whether the lock is
 *   still ours right before a write. Critical sections last milliseconds.
 *   A lock from another host (a shared directory) is stale `staleMs` after it was taken.
 * - Breaking a stale lock is itself guarded by a short-lived `.break` lock and
 *   re-checks the content, so two waiters that both saw the same stale lock
 *   cannot delete the fresh lock one of them just took.
 * - Release removes the lock only if it is still our file (inode + mtime).
 * - Waiters in the same process queue on a promise chain instead of polling.
 *
 * The lock-file operations are synchronous on purpose: each is a metadata
 * syscall of a few microseconds on a local disk, while an async call costs a
 * thread-pool round trip; a fenced append takes two locks, and the engine
 * appends twice per step. (A state directory on a network filesystem would
 * make these block the event loop longer; it is not a supported setup.)
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import { isAliveSince } from "../../core/process-identity.js";
import { DIR_MODE, FILE_MODE, isErrno, sleep, tempSibling } from "./durable.js";

export interface FileLockOptions {
  /** Give up waiting for the lock after this many ms (default 10 s). */
  timeoutMs?: number;
  /** A holder on this host that has not renewed the lock for this many ms loses it (default 5 s). */
  ttlMs?: number;
  /** A lock taken on another host is abandoned after this many ms (default 30 s). */
  staleMs?: number;
}

interface LockOwner {
  pid: number;
  host: string;
  at: number;
  nonce: string;
}

/** Which file is ours: a lock broken as stale and retaken is a new file, so it never matches. */
interface LockIdentity {
  ino: bigint;
  mtimeNs: bigint;
}

export interface HeldLock {
  release(): Promise<void>;
  /** Throws LEASE_LOST when the lock was taken from us as stale (we were stopped past its TTL). */
  assertHeld(): void;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_STALE_MS = 30_000;
const DEFAULT_TTL_MS = 5_000;
/** Test hook: `<lock-file-name>#<n>` makes this process SIGSTOP itself holding the n-th such lock it takes. */
const STOP_HOOK = "CUTOVER_TEST_STOP_IN_LOCK";
let stopHookSeen = 0;
/** The `.break` guard is held for microseconds; older than this it is abandoned. */
const BREAKER_STALE_MS = 5_000;
const hostname = os.hostname();

/** Tail of the in-process queue per lock path. */
const localQueues = new Map<string, Promise<void>>();

/** Run `fn` holding the lock at `lockPath`. */
export async function withFileLock<T>(
  lockPath: string,
  fn: (lock: HeldLock) => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const lock = await acquireFileLock(lockPath, options);
  try {
    stopHereIfTestAsks(lockPath);
    return await fn(lock);
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
    const identity = await acquireLockFile(lockPath, options);
    const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    const renewal = setInterval(() => renew(lockPath, identity), Math.max(1, Math.floor(ttlMs / 4)));
    renewal.unref();
    return {
      release: async () => {
        clearInterval(renewal);
        try {
          removeIfOwned(lockPath, identity);
        } finally {
          dropLocal();
        }
      },
      assertHeld: () => {
        if (!isOwned(lockPath, identity)) throw lockLost(lockPath, ttlMs);
      },
    };
  } catch (e) {
    dropLocal();
    throw e;
  }
}

async function acquireLockFile(lockPath: string, options: FileLockOptions): Promise<LockIdentity> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    const created = tryCreate(lockPath, ownerRecord());
    if (created) return created;
    const seen = inspect(lockPath, ttlMs, staleMs);
    if (seen === "gone") continue;
    if (seen.stale) {
      if (!breakStaleLock(lockPath, seen.raw, ttlMs, staleMs)) await sleep(1);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = seen.owner
        ? `pid ${seen.owner.pid} on ${seen.owner.host} since ${new Date(seen.owner.at).toISOString()}`
        : "an unknown process";
      throw new CutoverError(
        ErrorCode.Provider,
        `timed out after ${timeoutMs} ms waiting for lock ${lockPath}, held by ${who}`,
        {
          hint:
            "another cutover process is writing the same state; " +
            "if it is gone and the lock stays, delete the lock file",
          retryable: true,
        },
      );
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 20);
  }
}

function ownerRecord(): string {
  const owner: LockOwner = { pid: process.pid, host: hostname, at: Date.now(), nonce: randomBytes(6).toString("hex") };
  return JSON.stringify(owner);
}

/** Create the lock file with `content` atomically; undefined if it already exists. */
function tryCreate(lockPath: string, content: string): LockIdentity | undefined {
  const tmp = tempSibling(lockPath, "new");
  const identity = writeNew(tmp, content);
  try {
    fs.linkSync(tmp, lockPath);
    return identity;
  } catch (e) {
    if (isErrno(e, "EEXIST")) return undefined;
    if (isErrno(e, "EPERM") || isErrno(e, "ENOTSUP") || isErrno(e, "EOPNOTSUPP"))
      return tryCreateExclusive(lockPath, content);
    throw e;
  } finally {
    unlinkQuietly(tmp);
  }
}

/** Fallback for filesystems without hard links: O_EXCL create, then write. */
function tryCreateExclusive(lockPath: string, content: string): LockIdentity | undefined {
  try {
    return writeNew(lockPath, content);
  } catch (e) {
    if (isErrno(e, "EEXIST")) return undefined;
    throw e;
  }
}

/** Create `file` exclusively (making its directory if needed) with `content`. */
function writeNew(file: string, content: string): LockIdentity {
  let fd: number;
  try {
    fd = fs.openSync(file, "wx", FILE_MODE);
  } catch (e) {
    if (!isErrno(e, "ENOENT")) throw e;
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: DIR_MODE });
    fd = fs.openSync(file, "wx", FILE_MODE);
  }
  try {
    fs.writeSync(fd, content);
    const st = fs.fstatSync(fd, { bigint: true });
    return { ino: st.ino, mtimeNs: st.mtimeNs };
  } finally {
    fs.closeSync(fd);
  }
}

type Inspection = "gone" | { stale: boolean; raw: string; owner?: LockOwner };

/**
 * Stale: its holder is gone from this host, or has not renewed it within `ttlMs` (this host) or
 * `staleMs` (another host's clock may be off).
 */
function inspect(lockPath: string, ttlMs: number, staleMs: number): Inspection {
  let raw: string;
  let mtimeMs: number;
  try {
    raw = fs.readFileSync(lockPath, "utf8");
    mtimeMs = fs.statSync(lockPath).mtimeMs;
  } catch (e) {
    if (isErrno(e, "ENOENT")) return "gone";
    throw e;
  }
  const owner = parseOwner(raw);
  if (!owner) {
    // Only the O_EXCL fallback can show a half-written lock, and only for an instant.
    return { stale: Date.now() - mtimeMs > Math.min(staleMs, BREAKER_STALE_MS), raw };
  }
  if (owner.host === hostname) {
    const renewedAt = Math.max(owner.at, mtimeMs);
    return { stale: !isAliveSince(owner.pid, owner.at) || Date.now() - renewedAt > ttlMs, raw, owner };
  }
  return { stale: Date.now() - owner.at > staleMs, raw, owner };
}

function parseOwner(raw: string): LockOwner | undefined {
  try {
    const v = JSON.parse(raw) as Partial<LockOwner>;
    if (Number.isInteger(v.pid) && (v.pid as number) > 0 && typeof v.host === "string" && typeof v.at === "number")
      return v as LockOwner;
  } catch {
    // fall through
  }
  return undefined;
}

/**
 * Delete the lock if it still holds exactly the stale content we judged.
 * Returns false when another process is breaking it (the caller backs off).
 */
function breakStaleLock(lockPath: string, staleRaw: string, ttlMs: number, staleMs: number): boolean {
  const breaker = `${lockPath}.break`;
  const mine = tryCreate(breaker, ownerRecord());
  if (!mine) {
    const seen = inspect(breaker, BREAKER_STALE_MS, BREAKER_STALE_MS);
    if (seen !== "gone" && seen.stale) unlinkQuietly(breaker);
    return false;
  }
  try {
    // Judge again under the guard: the holder may have renewed it since we looked.
    const now = inspect(lockPath, ttlMs, staleMs);
    if (now !== "gone" && now.stale && now.raw === staleRaw) unlinkQuietly(lockPath);
    return true;
  } finally {
    removeIfOwned(breaker, mine);
  }
}

/** Remove the lock only if it is still ours (it may have been broken as stale and retaken). */
function removeIfOwned(lockPath: string, identity: LockIdentity): void {
  if (isOwned(lockPath, identity)) unlinkQuietly(lockPath);
}

function isOwned(lockPath: string, identity: LockIdentity): boolean {
  let st: fs.BigIntStats;
  try {
    st = fs.lstatSync(lockPath, { bigint: true });
  } catch (e) {
    if (isErrno(e, "ENOENT")) return false;
    throw e;
  }
  return st.ino === identity.ino && st.mtimeNs === identity.mtimeNs;
}

/** Touch our lock so waiters see a live holder; remember the new mtime (our identity). Quiet on failure. */
function renew(lockPath: string, identity: LockIdentity): void {
  try {
    if (!isOwned(lockPath, identity)) return;
    const now = new Date();
    fs.utimesSync(lockPath, now, now);
    identity.mtimeNs = fs.lstatSync(lockPath, { bigint: true }).mtimeNs;
  } catch {
    // gone or unreadable: the holder finds out with assertHeld(), waiters by staleness
  }
}

function lockLost(lockPath: string, ttlMs: number): CutoverError {
  return new CutoverError(
    ErrorCode.LeaseLost,
    `the lock ${lockPath} was taken over: this process did not renew it within ${ttlMs} ms ` +
      "(stopped or frozen?); the write was refused",
    {
      hint: "another cutover took the state over meanwhile; check `cutover status` before resuming",
      details: { lock: lockPath },
    },
  );
}

function stopHereIfTestAsks(lockPath: string): void {
  const hook = process.env[STOP_HOOK];
  if (!hook) return;
  const [name, nth] = hook.split("#");
  if (path.basename(lockPath) !== name || ++stopHookSeen !== Number(nth ?? 1)) return;
  process.kill(process.pid, "SIGSTOP");
}

function unlinkQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (e) {
    if (!isErrno(e, "ENOENT")) throw e;
  }
}

/**
 * Environment leases of the file store: one file per environment,
 * `leases/<env>.json`, replaced atomically under a cross-process lock.
 *
 * The file keeps `lastToken` even after a release (the lease becomes null, a
 * tombstone), so the fencing token grows across release/acquire cycles: a
 * holder that was paused, expired and came back can never find its old token
 * current again. Expiry is judged by the store's clock (the `clock` option;
 * by default this host's): the only clock that decides whether a lease is live.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { isLeaseLive, type Fence, type LeaseInfo, type LeaseRequest } from "../../core/run-store.js";
import { CutoverError, ErrorCode, isCutoverError } from "../../core/errors.js";
import { formatDuration } from "../../playbook/duration.js";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { checkLeaseTtl, leaseLockedError, leaseLostError } from "../../core/lease-errors.js";
import { ensureDir, isErrno } from "./durable.js";
import { withFileLock, type FileLockOptions, type HeldLock } from "./file-lock.js";
import { assertEnvironmentName } from "./names.js";

interface LeaseFileContent {
  version: 1;
  environment: string;
  /** The highest token ever handed out for this environment. */
  lastToken: number;
  lease: LeaseInfo | null;
}

export class LeaseFiles {
  constructor(
    private readonly leasesDir: string,
    private readonly locksDir: string,
    private readonly lockOptions: FileLockOptions,
    private readonly clock: () => Date,
  ) {}

  fileOf(environment: string): string {
    assertEnvironmentName(environment);
    return path.join(this.leasesDir, `${environment}.json`);
  }

  private dirReady: Promise<void> | undefined;

  /** Run `fn` holding the environment's lease lock (also used by fenced appends). */
  async withLock<T>(environment: string, fn: (lock: HeldLock) => Promise<T>): Promise<T> {
    assertEnvironmentName(environment);
    this.dirReady ??= ensureDir(this.leasesDir).catch((e: unknown) => {
      this.dirReady = undefined;
      throw e;
    });
    await this.dirReady;
    return withFileLock(path.join(this.locksDir, `lease-${environment}.lock`), fn, this.lockOptions);
  }

  async read(environment: string): Promise<LeaseInfo | undefined> {
    return (await this.readChecked(environment))?.lease ?? undefined;
  }

  async acquire(req: LeaseRequest): Promise<LeaseInfo> {
    checkLeaseTtl(req.ttlMs);
    return this.withLock(req.environment, async (lock) => {
      const state = await this.readChecked(req.environment);
      const now = this.clock();
      const current = state?.lease ?? undefined;
      if (isLeaseLive(current, now)) {
        const left = formatDuration(Date.parse(current.expiresAt) - now.getTime());
        throw leaseLockedError(current, `${left} from now`);
      }
      const lease = this.newLease(req, (state?.lastToken ?? 0) + 1, now);
      await this.write(lock, lease.environment, lease.token, lease);
      return lease;
    });
  }

  async renew(lease: LeaseInfo, ttlMs: number): Promise<LeaseInfo> {
    checkLeaseTtl(ttlMs);
    return this.withLock(lease.environment, async (lock) => {
      const state = await this.readChecked(lease.environment);
      const current = state?.lease ?? undefined;
      if (!state || current?.token !== lease.token) throw leaseLostError(lease, current);
      const renewed: LeaseInfo = { ...current, expiresAt: new Date(this.clock().getTime() + ttlMs).toISOString() };
      await this.write(lock, lease.environment, state.lastToken, renewed);
      return renewed;
    });
  }

  async release(lease: LeaseInfo): Promise<void> {
    await this.withLock(lease.environment, async (lock) => {
      const state = await this.readChecked(lease.environment);
      if (state?.lease?.token !== lease.token) return; // already gone or someone else's now
      await this.write(lock, lease.environment, state.lastToken, null);
    });
  }

  async force(req: LeaseRequest): Promise<{ lease: LeaseInfo; previous?: LeaseInfo }> {
    checkLeaseTtl(req.ttlMs);
    return this.withLock(req.environment, async (lock) => {
      let state: LeaseFileContent | undefined;
      let lastToken: number;
      try {
        state = await this.readChecked(req.environment);
        lastToken = state?.lastToken ?? 0;
      } catch (e) {
        // Break-glass must work on a damaged lease file too. Its last token is
        // unknown, so jump past any counter: the time in ms is far above it.
        if (!isCutoverError(e, ErrorCode.JournalCorrupt)) throw e;
        lastToken = Date.now();
      }
      const lease = this.newLease(req, lastToken + 1, this.clock());
      await this.write(lock, lease.environment, lease.token, lease);
      const previous = state?.lease ?? undefined;
      return previous ? { lease, previous } : { lease };
    });
  }

  /** Throw LEASE_LOST unless `fence` is the current lease. Call under withLock(fence.environment). */
  async checkFence(fence: Fence): Promise<void> {
    const current = await this.read(fence.environment);
    if (current?.token !== fence.token) {
      throw leaseLostError(
        { environment: fence.environment, token: fence.token },
        current,
        "the journal write was refused",
      );
    }
  }

  private newLease(req: LeaseRequest, token: number, now: Date): LeaseInfo {
    const lease: LeaseInfo = {
      environment: req.environment,
      holder: req.holder,
      token,
      acquiredAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + req.ttlMs).toISOString(),
    };
    if (req.runId !== undefined) lease.runId = req.runId;
    if (req.by !== undefined) lease.by = req.by;
    return lease;
  }

  /**
   * The lease file with its holder checked. The holder's schema (zod) is loaded only for a lease that names one:
   * `cutover status` of a run paused with its lease released must not load zod (bench/engine/RESULTS.md).
   */
  private async readChecked(environment: string): Promise<LeaseFileContent | undefined> {
    const content = this.readFile(environment);
    if (content?.lease?.by !== undefined) {
      const { LeaseHolder } = await import("../../core/lease-holder-schema.js");
      if (!LeaseHolder.safeParse(content.lease.by).success)
        throw damaged(this.fileOf(environment), environment, `"lease.by" must be { user, host, pid, runId? }`);
    }
    return content;
  }

  /** Synchronous on purpose: a small file read on every fenced append (see file-lock.ts). */
  private readFile(environment: string): LeaseFileContent | undefined {
    const file = this.fileOf(environment);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      if (isErrno(e, "ENOENT")) return undefined;
      throw e;
    }
    try {
      const content = JSON.parse(text) as LeaseFileContent;
      content.lease ??= null; // a hand-written tombstone may leave it out
      if (typeof content.lastToken !== "number") throw new Error(`"lastToken" must be a number`);
      if (typeof content.lease !== "object" || (content.lease && typeof content.lease.token !== "number"))
        throw new Error(`"lease" must be a lease or null`);
      return content;
    } catch (e) {
      throw damaged(file, environment, (e as Error).message);
    }
  }

  /** `lock`: refused if another process took the lock from us as stale (we were stopped past its TTL). */
  private async write(lock: HeldLock, environment: string, lastToken: number, lease: LeaseInfo | null): Promise<void> {
    lock.assertHeld();
    const content: LeaseFileContent = { version: 1, environment, lastToken, lease };
    await writeFileAtomic(this.fileOf(environment), JSON.stringify(content, null, 2) + "\n");
  }
}

function damaged(file: string, environment: string, why: string): CutoverError {
  return new CutoverError(ErrorCode.JournalCorrupt, `lease file ${file} is damaged: ${why}`, {
    hint:
      `leases are replaced atomically, so something else wrote it; \`cutover unlock ${environment} --force\` ` +
      `takes the environment over even so`,
    details: { file },
  });
}

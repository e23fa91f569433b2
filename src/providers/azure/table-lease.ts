/**
 * The environment lease as one Table entity, changed only with ETag
 * conditions (If-Match), so two agents racing for it cannot both win.
 *
 * The fencing token lives in the entity and grows on every acquire or steal;
 * a released lease keeps its entity (marked released) so the token never
 * goes back to 1.
 *
 * Fencing cheaply: before a lease changes hands, the run the previous holder
 * was writing gets its head entity "poisoned" with the new token. Every
 * append to that run is conditional on the head's ETag, so the old holder's
 * next append fails and, on re-reading the head, sees a token larger than
 * its own: LEASE_LOST. That keeps a fenced append at one round trip.
 */
import type { TableClient } from "@azure/data-tables";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import type { LeaseInfo, LeaseRequest } from "../../core/run-store.js";
import { LeaseHolder } from "../../core/lease-holder-schema.js";
import { statusOf, translateAzureError } from "./errors.js";
import { HEAD_ROW, LEASE_PARTITION, encodeKey, int64, runPartition, toNumber } from "./table-entities.js";

interface StoredLease {
  info: LeaseInfo;
  released: boolean;
  etag: string;
}

const MAX_CAS_ATTEMPTS = 5;

export class TableLeases {
  /** Leases this process holds, with the ETag of our last write (renew is then one round trip). */
  private readonly held = new Map<string, { info: LeaseInfo; etag: string }>();

  constructor(
    private readonly table: TableClient,
    private readonly now: () => Date,
    private readonly ready: () => Promise<void>,
  ) {}

  /** The lease this process knows it holds for `environment`, if any. */
  heldLease(environment: string): LeaseInfo | undefined {
    return this.held.get(environment)?.info;
  }

  async read(environment: string): Promise<StoredLease | undefined> {
    await this.ready();
    try {
      const e = await this.table.getEntity<Record<string, unknown>>(LEASE_PARTITION, encodeKey(environment));
      return {
        etag: e.etag,
        released: e.released === true,
        info: {
          environment,
          holder: String(e.holder ?? ""),
          ...holderProps(e),
          runId: typeof e.runId === "string" && e.runId !== "" ? e.runId : undefined,
          token: toNumber(e.token),
          acquiredAt: String(e.acquiredAt ?? ""),
          expiresAt: String(e.expiresAt ?? ""),
        },
      };
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw this.translate(e, "read the lease", environment);
    }
  }

  async readLease(environment: string): Promise<LeaseInfo | undefined> {
    const stored = await this.read(environment);
    return stored && !stored.released ? stored.info : undefined;
  }

  async acquire(req: LeaseRequest): Promise<LeaseInfo> {
    return this.take(req, false).then((r) => r.lease);
  }

  async force(req: LeaseRequest): Promise<{ lease: LeaseInfo; previous?: LeaseInfo }> {
    return this.take(req, true);
  }

  private async take(req: LeaseRequest, force: boolean): Promise<{ lease: LeaseInfo; previous?: LeaseInfo }> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.read(req.environment);
      const live = current && !current.released && Date.parse(current.info.expiresAt) > this.now().getTime();
      if (live && !force) {
        throw new CutoverError(
          ErrorCode.Locked,
          `environment ${req.environment} is locked by ${current.info.holder} until ${current.info.expiresAt}`,
          {
            hint:
              "Wait for that run to finish or its lease to expire, or take it over deliberately with `cutover " +
              "unlock --force`.",
            details: {
              holder: current.info.holder,
              runId: current.info.runId ?? null,
              expiresAt: current.info.expiresAt,
            },
          },
        );
      }
      const token = (current?.info.token ?? 0) + 1;
      // Fence the previous holder's run before the lease changes hands (see the header comment).
      if (current && !current.released && current.info.runId) await this.poisonRun(current.info.runId, token);
      const nowDate = this.now();
      const info: LeaseInfo = {
        environment: req.environment,
        holder: req.holder,
        ...(req.by ? { by: req.by } : {}),
        runId: req.runId,
        token,
        acquiredAt: nowDate.toISOString(),
        expiresAt: new Date(nowDate.getTime() + req.ttlMs).toISOString(),
      };
      const entity = {
        partitionKey: LEASE_PARTITION,
        rowKey: encodeKey(req.environment),
        ...this.props(info),
        released: false,
      };
      try {
        const res = current
          ? await this.table.updateEntity(entity, "Replace", { etag: current.etag })
          : await this.table.createEntity(entity);
        this.held.set(req.environment, { info, etag: res.etag ?? "*" });
        const previous = current && !current.released ? current.info : undefined;
        return previous ? { lease: info, previous } : { lease: info };
      } catch (e) {
        const s = statusOf(e);
        if (s !== 409 && s !== 412) throw this.translate(e, "take the lease", req.environment);
        // Our write may have committed with its answer lost, the SDK's retry then getting 409/412:
        // if the stored lease is exactly the one we wrote, we hold it. Otherwise someone else moved first.
        const stored = await this.read(req.environment);
        if (stored && !stored.released && sameLease(stored.info, info)) {
          this.held.set(req.environment, { info, etag: stored.etag });
          const previous = current && !current.released ? current.info : undefined;
          return previous ? { lease: info, previous } : { lease: info };
        }
      }
    }
    const holder = (await this.read(req.environment))?.info.holder ?? "another agent";
    throw new CutoverError(
      ErrorCode.Locked,
      `environment ${req.environment}: lost the race for the lease to ${holder}`,
      {
        hint: "Another agent is taking the lease at the same moment; try again.",
      },
    );
  }

  async renew(lease: LeaseInfo, ttlMs: number): Promise<LeaseInfo> {
    const known = this.held.get(lease.environment);
    let etag = known && known.info.token === lease.token ? known.etag : undefined;
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      if (etag === undefined) {
        const current = await this.read(lease.environment);
        if (!current || current.released || current.info.token !== lease.token) throw this.lost(lease, current?.info);
        etag = current.etag;
      }
      const info: LeaseInfo = { ...lease, expiresAt: new Date(this.now().getTime() + ttlMs).toISOString() };
      try {
        const res = await this.table.updateEntity(
          { partitionKey: LEASE_PARTITION, rowKey: encodeKey(lease.environment), expiresAt: info.expiresAt },
          "Merge",
          { etag },
        );
        this.held.set(lease.environment, { info, etag: res.etag ?? "*" });
        return info;
      } catch (e) {
        const s = statusOf(e);
        if (s === 412) {
          etag = undefined; // changed: re-read and decide whether it is still ours
          continue;
        }
        if (s === 404) throw this.lost(lease, undefined);
        throw this.translate(e, "renew the lease", lease.environment);
      }
    }
    throw this.lost(lease, (await this.read(lease.environment))?.info);
  }

  async release(lease: LeaseInfo): Promise<void> {
    this.held.delete(lease.environment);
    const current = await this.read(lease.environment);
    if (!current || current.released || current.info.token !== lease.token) return;
    try {
      await this.table.updateEntity(
        {
          partitionKey: LEASE_PARTITION,
          rowKey: encodeKey(lease.environment),
          released: true,
          expiresAt: this.now().toISOString(),
        },
        "Merge",
        { etag: current.etag },
      );
    } catch (e) {
      const s = statusOf(e);
      if (s === 404 || s === 412) return; // already gone or taken: nothing of ours to give back
      throw this.translate(e, "release the lease", lease.environment);
    }
  }

  /** Raise the run head's fence token so its old writer's next append is refused. */
  private async poisonRun(runId: string, token: number): Promise<void> {
    try {
      await this.table.updateEntity(
        { partitionKey: runPartition(runId), rowKey: HEAD_ROW, fenceToken: int64(token) },
        "Merge",
        { etag: "*" },
      );
    } catch (e) {
      if (statusOf(e) === 404) return; // that run never wrote anything
      throw this.translate(e, "fence the previous holder's run", runId);
    }
  }

  lost(lease: LeaseInfo, current: LeaseInfo | undefined): CutoverError {
    this.held.delete(lease.environment);
    return new CutoverError(
      ErrorCode.LeaseLost,
      `lease on ${lease.environment} (token ${lease.token}) is no longer ours` +
        (current ? `: now held by ${current.holder} (token ${current.token})` : ""),
      { hint: "Another agent took the environment over; this process must stop. `cutover status` shows who holds it." },
    );
  }

  private props(info: LeaseInfo): Record<string, unknown> {
    return {
      holder: info.holder,
      // The holder as data (empty when not given: a Replace must not keep a previous holder's).
      holderUser: info.by?.user ?? "",
      holderHost: info.by?.host ?? "",
      holderPid: info.by?.pid ?? 0,
      holderRunId: info.by?.runId ?? "",
      runId: info.runId ?? "",
      token: int64(info.token),
      acquiredAt: info.acquiredAt,
      expiresAt: info.expiresAt,
    };
  }

  private translate(e: unknown, operation: string, resource: string): unknown {
    return translateAzureError(e, {
      service: "Table Storage",
      operation,
      resource: `${resource} in table ${this.table.tableName}`,
    });
  }
}

/** The same lease, field by field (holder, token, times to the millisecond, run, structured holder). */
function sameLease(a: LeaseInfo, b: LeaseInfo): boolean {
  return (
    a.holder === b.holder &&
    a.token === b.token &&
    a.acquiredAt === b.acquiredAt &&
    a.expiresAt === b.expiresAt &&
    (a.runId ?? "") === (b.runId ?? "") &&
    a.by?.user === b.by?.user &&
    a.by?.host === b.by?.host &&
    a.by?.pid === b.by?.pid &&
    a.by?.runId === b.by?.runId
  );
}

/** The structured holder stored with a lease entity, if its writer gave one (older versions did not). */
function holderProps(e: Record<string, unknown>): { by?: LeaseHolder } {
  const parsed = LeaseHolder.safeParse({
    user: e.holderUser,
    host: e.holderHost,
    pid: toNumber(e.holderPid),
    ...(typeof e.holderRunId === "string" && e.holderRunId !== "" ? { runId: e.holderRunId } : {}),
  });
  return parsed.success ? { by: parsed.data } : {};
}

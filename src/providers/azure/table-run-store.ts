/**
 * The run journal and environment lease in Azure Table Storage, so one CI
 * agent can run some steps and another resume the run.
 *
 * An append is ONE entity-group transaction in the run's partition: the
 * events are inserted with createEntity (If-None-Match semantics: a second
 * writer of sequence n gets 409) and the run's head entity is updated with
 * If-Match on its ETag (a writer with a stale view gets 412). Nothing of a
 * failed transaction is applied. The head's ETag is cached after each append,
 * so the steady state is one round trip per append.
 *
 * See table-entities.ts for the layout, table-lease.ts for the lease and
 * how a stale holder is fenced.
 */
import { odata, type TableClient, type TransactionAction } from "@azure/data-tables";
import { CutoverError, ErrorCode, isCutoverError } from "../../core/errors.js";
import type { RunEvent, RunEventBody } from "../../engine/events.js";
import type { Fence, LeaseInfo, LeaseRequest, RunStore, RunSummary } from "../../core/run-store.js";
import { assertWritable } from "../../engine/journal-check.js";
import { serviceCodeOf, statusOf, translateAzureError } from "./errors.js";
import { TableLeases } from "./table-lease.js";
import {
  HEAD_ROW,
  INDEX_PARTITION,
  LIMITS,
  decodeEvents,
  encodeEvent,
  entityBytes,
  eventRow,
  indexRow,
  int64,
  rawJson,
  runPartition,
  toNumber,
} from "./table-entities.js";

export interface TableRunStoreOptions {
  /** A client for the journal table (its pipeline carries auth, retries, TLS). */
  table: TableClient;
  /** The store's clock, for lease expiry (tests move it). */
  now?: () => Date;
  /** Create the table on first use (default true). */
  createTable?: boolean;
}

interface Head {
  lastSeq: number;
  fenceToken: number;
  etag: string;
}

const MAX_EVENTS_PER_APPEND = LIMITS.batchOps - 1; // one op is the head update

export class TableRunStore implements RunStore {
  private readonly table: TableClient;
  private readonly now: () => Date;
  private readonly leases: TableLeases;
  private readonly heads = new Map<string, Head>();
  private tableReady: Promise<void> | undefined;

  constructor(private readonly options: TableRunStoreOptions) {
    this.table = options.table;
    this.now = options.now ?? (() => new Date());
    this.leases = new TableLeases(this.table, this.now, () => this.ensureTable());
  }

  private ensureTable(): Promise<void> {
    if (this.options.createTable === false) return Promise.resolve();
    this.tableReady ??= this.table.createTable().catch((e: unknown) => {
      this.tableReady = undefined;
      throw this.translate(e, "create the journal table", this.table.tableName);
    });
    return this.tableReady;
  }

  async append(runId: string, bodies: RunEventBody[], expectedSeq: number, fence?: Fence): Promise<RunEvent[]> {
    if (bodies.length === 0) return [];
    if (bodies.length > MAX_EVENTS_PER_APPEND) {
      throw new CutoverError(
        ErrorCode.Internal,
        `Table Storage: cannot append ${bodies.length} events at once (at most ${MAX_EVENTS_PER_APPEND} per ` +
          `transaction)`,
      );
    }
    await this.ensureTable();
    const at = this.now().toISOString();
    assertWritable(bodies, runId, expectedSeq);
    const events = bodies.map((b, i) => ({ ...b, runId, seq: expectedSeq + i + 1, at }) as RunEvent);
    try {
      return await this.appendEvents(runId, events, expectedSeq, fence);
    } catch (e) {
      // A transaction that committed but whose answer was lost is retried by the SDK, and the retry gets
      // 409 (events exist) or 412 (the head moved): if the stored events are exactly ours, it succeeded.
      if (isCutoverError(e, ErrorCode.JournalConflict) && (await this.storedExactly(runId, events))) return events;
      throw e;
    }
  }

  /** Are events first.seq…last.seq stored, each exactly as `events` has it (same JSON, same timestamp)? */
  private async storedExactly(runId: string, events: RunEvent[]): Promise<boolean> {
    const first = events[0] as RunEvent;
    const last = events[events.length - 1] as RunEvent;
    const pk = runPartition(runId);
    const filter = odata`PartitionKey eq ${pk} and RowKey ge ${eventRow(first.seq)} and RowKey le ${eventRow(last.seq)}`;
    const stored: Record<string, unknown>[] = [];
    await this.call("read back an append", runId, async () => {
      for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
        stored.push(e);
    });
    if (stored.length !== events.length) return false;
    const same = events.every((ev, i) => rawJson(stored[i] as Record<string, unknown>) === JSON.stringify(ev));
    if (same) this.heads.delete(runId); // its ETag is not known: the next append reads the head
    return same;
  }

  private async appendEvents(
    runId: string,
    events: RunEvent[],
    expectedSeq: number,
    fence?: Fence,
  ): Promise<RunEvent[]> {
    const pk = runPartition(runId);
    const at = (events[0] as RunEvent).at;
    const eventEntities = events.map((ev) => encodeEvent(pk, ev));
    const batchBytes = eventEntities.reduce((n, e) => n + entityBytes(e), 0);
    if (batchBytes > LIMITS.batchBytes - 64 * 1024) {
      throw new CutoverError(
        ErrorCode.Provider,
        `Table Storage: ${events.length} events of ${Math.ceil(batchBytes / 1024)} KiB exceed the 4 MiB ` +
          `transaction limit`,
      );
    }
    const last = events[events.length - 1] as RunEvent;
    const summary = { lastSeq: int64(last.seq), updatedAt: at, lastEvent: last.type };

    if (fence) await this.checkFenceCheaply(runId, fence, expectedSeq);

    if (expectedSeq === 0) {
      const started = events.find((e) => e.type === "run.started");
      const playbook = started?.type === "run.started" ? started.playbook.name : "";
      const environment = started?.type === "run.started" ? started.environment : (fence?.environment ?? "");
      // The index goes first: a listed run whose head is missing is
      // skipped, a run missing from the index would be invisible.
      await this.call("index the run", runId, () =>
        this.table.upsertEntity(
          {
            partitionKey: INDEX_PARTITION,
            rowKey: indexRow(Date.parse(at), runId),
            runId,
            playbook,
            environment,
            startedAt: at,
          },
          "Replace",
        ),
      );
      const head = {
        partitionKey: pk,
        rowKey: HEAD_ROW,
        ...summary,
        fenceToken: int64(fence?.token ?? 0),
        playbook,
        environment,
        startedAt: at,
      };
      await this.submit(
        runId,
        [["create", head], ...eventEntities.map((e): TransactionAction => ["create", e])],
        expectedSeq,
        last.seq,
        fence?.token ?? 0,
      );
      return events;
    }

    for (let attempt = 0; attempt < 3; attempt++) {
      const head = await this.headFor(runId, expectedSeq, fence);
      // Never lower the mark: a higher one left by a takeover that lost its race keeps this run on the
      // slow path (lease checked on every append) rather than reopening the fast one.
      const fenceToken = Math.max(fence?.token ?? 0, head.fenceToken);
      const update = { partitionKey: pk, rowKey: HEAD_ROW, ...summary, fenceToken: int64(fenceToken) };
      const ok = await this.submit(
        runId,
        [
          ["update", update, "Merge", { etag: head.etag }],
          ...eventEntities.map((e): TransactionAction => ["create", e]),
        ],
        expectedSeq,
        last.seq,
        fenceToken,
      );
      if (ok) return events;
      this.heads.delete(runId); // the head moved under us: re-read and judge again
    }
    throw this.conflict(runId, expectedSeq);
  }

  /** Submit one transaction; false when only the head's ETag was stale (caller re-reads). */
  private async submit(
    runId: string,
    actions: TransactionAction[],
    expectedSeq: number,
    lastSeq: number,
    fenceToken: number,
  ): Promise<boolean> {
    try {
      const res = await this.table.submitTransaction(actions);
      // Sub-responses come in the order of the actions; the head is always
      // the first action (an update's sub-response carries no rowKey).
      const headResponse = res.subResponses[0];
      if (headResponse?.etag) this.heads.set(runId, { lastSeq, fenceToken, etag: headResponse.etag });
      else this.heads.delete(runId);
      return true;
    } catch (e) {
      const status = statusOf(e);
      if (status === 409 || serviceCodeOf(e) === "EntityAlreadyExists") throw this.conflict(runId, expectedSeq);
      if (status === 412) return false;
      if (status === 404 && expectedSeq > 0) throw this.conflict(runId, expectedSeq);
      throw this.translate(e, "append to the journal", runId);
    }
  }

  /** The head to write against: cached after our own append, else read (and judged) from the table. */
  private async headFor(runId: string, expectedSeq: number, fence?: Fence): Promise<Head> {
    const cached = this.heads.get(runId);
    if (cached && cached.lastSeq === expectedSeq && (!fence || fence.token >= cached.fenceToken)) return cached;
    const head = await this.readHead(runId);
    if (!head || head.lastSeq !== expectedSeq) throw this.conflict(runId, expectedSeq, head?.lastSeq ?? 0);
    if (fence && fence.token < head.fenceToken) {
      // A newer lease fenced this run, or a takeover that lost its
      // race left a stale mark: the lease decides, every time.
      const lease = await this.leases.read(fence.environment);
      if (!lease || lease.released || lease.info.token !== fence.token)
        throw this.leases.lost({ ...fence, holder: "", acquiredAt: "", expiresAt: "" }, lease?.info);
    }
    this.heads.set(runId, head);
    return head;
  }

  /**
   * A fence this process got from its own acquire/renew of a lease naming this
   * run is guarded by the run head's ETag (a takeover poisons it). Any other
   * fence, and the first append of a run, is checked against the lease entity
   * itself: one more round trip.
   */
  private async checkFenceCheaply(runId: string, fence: Fence, expectedSeq: number): Promise<void> {
    const held = this.leases.heldLease(fence.environment);
    // A run's first append has no head to be poisoned yet: check the lease itself once.
    if (expectedSeq > 0 && held && held.token === fence.token && held.runId === runId) return;
    const lease = await this.leases.read(fence.environment);
    if (!lease || lease.released || lease.info.token !== fence.token) {
      throw this.leases.lost({ ...fence, holder: "", acquiredAt: "", expiresAt: "" }, lease?.info);
    }
  }

  private async readHead(runId: string): Promise<Head | undefined> {
    try {
      const e = await this.table.getEntity<Record<string, unknown>>(runPartition(runId), HEAD_ROW);
      return { lastSeq: toNumber(e.lastSeq), fenceToken: toNumber(e.fenceToken), etag: e.etag };
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw this.translate(e, "read the run head", runId);
    }
  }

  async read(runId: string, afterSeq = 0): Promise<RunEvent[]> {
    await this.ensureTable();
    const pk = runPartition(runId);
    // `e.` sorts right after every `e-…` row key, and before `head`.
    const filter = odata`PartitionKey eq ${pk} and RowKey gt ${eventRow(afterSeq)} and RowKey lt ${"e."}`;
    const entities: Record<string, unknown>[] = [];
    await this.call("read the journal", runId, async () => {
      for await (const page of this.table
        .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
        .byPage({ maxPageSize: 1000 })) {
        entities.push(...page);
      }
    });
    const events = decodeEvents(entities, runId, afterSeq);
    if (events.length === 0 && !(await this.readHead(runId))) {
      throw new CutoverError(ErrorCode.RunNotFound, `no run ${runId} in table ${this.table.tableName}`, {
        hint: "`cutover status` lists the runs of this environment's state store.",
      });
    }
    return events;
  }

  async listRuns(options: { environment?: string; limit?: number } = {}): Promise<RunSummary[]> {
    await this.ensureTable();
    const limit = options.limit ?? 50;
    const filter = options.environment
      ? odata`PartitionKey eq ${INDEX_PARTITION} and environment eq ${options.environment}`
      : odata`PartitionKey eq ${INDEX_PARTITION}`;
    const rows: Record<string, unknown>[] = [];
    await this.call("list runs", this.table.tableName, async () => {
      for await (const page of this.table
        .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
        .byPage({ maxPageSize: Math.min(limit * 2, 1000) })) {
        rows.push(...page);
        if (rows.length >= limit * 2) break;
      }
    });
    const summaries = await Promise.all(
      rows.map(async (row): Promise<RunSummary | undefined> => {
        const runId = String(row.runId);
        try {
          const head = await this.table.getEntity<Record<string, unknown>>(runPartition(runId), HEAD_ROW);
          return {
            runId,
            playbook: String(row.playbook ?? ""),
            environment: String(row.environment ?? ""),
            startedAt: String(row.startedAt ?? ""),
            updatedAt: String(head.updatedAt ?? row.startedAt ?? ""),
            lastEvent: String(head.lastEvent ?? ""),
          };
        } catch (e) {
          if (statusOf(e) === 404) return undefined; // indexed, but its first append lost a race
          throw this.translate(e, "read a run head", runId);
        }
      }),
    );
    return summaries.filter((s): s is RunSummary => s !== undefined).slice(0, limit);
  }

  acquireLease(req: LeaseRequest): Promise<LeaseInfo> {
    return this.leases.acquire(req);
  }
  renewLease(lease: LeaseInfo, ttlMs: number): Promise<LeaseInfo> {
    return this.leases.renew(lease, ttlMs);
  }
  releaseLease(lease: LeaseInfo): Promise<void> {
    return this.leases.release(lease);
  }
  forceLease(req: LeaseRequest): Promise<{ lease: LeaseInfo; previous?: LeaseInfo }> {
    return this.leases.force(req);
  }
  readLease(environment: string): Promise<LeaseInfo | undefined> {
    return this.leases.readLease(environment);
  }

  async close(): Promise<void> {
    this.heads.clear();
  }

  private conflict(runId: string, expectedSeq: number, actual?: number): CutoverError {
    this.heads.delete(runId);
    return new CutoverError(
      ErrorCode.JournalConflict,
      `run ${runId}: another writer appended after sequence ${expectedSeq}` +
        (actual !== undefined ? ` (the journal is at ${actual})` : ""),
      { hint: "Another agent is driving this run; `cutover status` shows its state.", details: { runId, expectedSeq } },
    );
  }

  private translate(e: unknown, operation: string, resource: string): unknown {
    return translateAzureError(e, {
      service: "Table Storage",
      operation,
      resource: `${resource} in table ${this.table.tableName}`,
    });
  }

  private async call<T>(operation: string, resource: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.translate(e, operation, resource);
    }
  }
}

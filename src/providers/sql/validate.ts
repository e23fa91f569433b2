/**
 * Data-preservation snapshots outside a migrate.run step: `snapshot` before
 * a sequence of steps (expand, backfill, ...), `compare` after them. The
 * snapshot is stored in the database under the run id and label, so a
 * resumed run compares with what was there before its first step.
 */
import { CutoverError, ErrorCode } from "../../core/errors.js";
import type { SqlClient } from "./driver.js";
import { MigrationLease } from "./lease.js";
import { assertFence } from "./lease.js";
import {
  compareSnapshots,
  loadSnapshots,
  mismatchError,
  saveSnapshot,
  snapshot,
  specName,
  type PreserveSpec,
  type Snapshot,
} from "./preserve.js";

export interface ValidateOptions {
  mode: "snapshot" | "compare";
  label: string;
  runId: string;
  /** A superseded run whose `before` snapshots this run inherits (the baseline it measured, docs/operations.md). */
  baselineRunId?: string;
  preserve: PreserveSpec[];
  leaseTtlMs?: number;
  leaseWaitMs?: number;
  log: { info(m: string): void; warn(m: string): void };
  signal?: AbortSignal;
}

export async function validateData(client: SqlClient, o: ValidateOptions): Promise<Snapshot[]> {
  const conn = await client.connect("validate");
  let lease: MigrationLease | undefined;
  try {
    lease = await MigrationLease.acquire(client, conn, {
      runId: o.runId,
      ttlMs: o.leaseTtlMs ?? 30_000,
      waitMs: o.leaseWaitMs ?? 0,
      log: o.log,
      signal: o.signal,
    });
    const token = lease.token;
    const stage = (s: string) => `${s}:${o.label}`;
    const before = await loadSnapshots(conn, client, o.runId, stage("before"));
    const out: Snapshot[] = [];
    if (o.mode === "snapshot") {
      const inherited = o.baselineRunId
        ? await loadSnapshots(conn, client, o.baselineRunId, stage("before"))
        : new Map<string, Snapshot>();
      for (const spec of o.preserve) {
        // Re-running the step after a crash keeps the first snapshot: it is the "before".
        const kept = before.get(specName(spec));
        if (kept) {
          out.push(kept);
          continue;
        }
        // A run that superseded an unfinished one measures against what that run measured, not against
        // data the unfinished run may have damaged.
        const earlier = inherited.get(specName(spec));
        if (earlier) {
          await conn.transaction(async () => {
            await assertFence(conn, client, token);
            await saveSnapshot(conn, client, o.runId, stage("before"), earlier);
          });
          o.log.info(
            `snapshot ${earlier.name}: inherited from superseded run ${o.baselineRunId}: ${earlier.rowCount} ` +
              `rows, ${earlier.hash}`,
          );
          out.push(earlier);
          continue;
        }
        const s = await snapshot(conn, client, spec);
        await conn.transaction(async () => {
          await assertFence(conn, client, token);
          await saveSnapshot(conn, client, o.runId, stage("before"), s);
        });
        o.log.info(`snapshot ${s.name}: ${s.rowCount} rows, ${s.hash}`);
        out.push(s);
      }
      return out;
    }
    for (const spec of o.preserve) {
      const b = before.get(specName(spec));
      if (!b) {
        throw new CutoverError(
          ErrorCode.StepFailed,
          `no snapshot '${o.label}' of ${specName(spec)} in run ${o.runId}`,
          {
            hint:
              "add a migrate.validate step with mode: snapshot (same " +
              "label) before the steps that must preserve this data",
            retryable: false,
          },
        );
      }
      out.push(await snapshot(conn, client, spec, b.columns.length ? b.columns : undefined));
    }
    await conn.transaction(async () => {
      await assertFence(conn, client, token);
      for (const s of out) await saveSnapshot(conn, client, o.runId, stage("after"), s);
    });
    const mismatches = compareSnapshots(before, out);
    if (mismatches.length > 0) throw mismatchError(mismatches);
    for (const s of out) o.log.info(`preserved ${s.name}: ${s.rowCount} rows, ${s.hash}`);
    return out;
  } finally {
    await lease?.release();
    await conn.close();
  }
}

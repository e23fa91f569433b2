/**
 * The PostgreSQL state store: `environment: { state: { provider: postgres, urlEnv: … } }`.
 * The `postgres` provider (src/providers/sql/provider.ts) offers it beside `sql`: its client is the
 * migration client and this RunStore in one object, each lazy (no connection until used).
 * See docs/state.md, "PostgreSQL".
 */
import type { RunStore } from "../../core/run-store.js";
import type { SqlClient } from "../sql/driver.js";
import { PgRunStore, type PgRunStoreOptions } from "./pg-run-store.js";

export { PgRunStore, type PgRunStoreOptions } from "./pg-run-store.js";

/** `sql` plus a RunStore over the same database; closing it closes both. */
export function withRunStore(sql: SqlClient, options: PgRunStoreOptions): SqlClient & RunStore {
  const store = new PgRunStore(options);
  return {
    ...sql,
    append: (runId, events, expectedSeq, fence) => store.append(runId, events, expectedSeq, fence),
    read: (runId, afterSeq) => store.read(runId, afterSeq),
    listRuns: (o) => store.listRuns(o),
    acquireLease: (req) => store.acquireLease(req),
    renewLease: (lease, ttlMs) => store.renewLease(lease, ttlMs),
    releaseLease: (lease) => store.releaseLease(lease),
    forceLease: (req) => store.forceLease(req),
    readLease: (environment) => store.readLease(environment),
    close: async () => {
      await store.close();
      await sql.close();
    },
  };
}

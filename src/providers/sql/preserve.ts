/**
 * Data preservation (Ed-Fi hash validation): declared tables, column sets or
 * queries are counted and hashed in a stable order before the first script
 * and again after the last. Snapshots are stored in the database under the
 * run id (fenced by the lease), so a run resumed after a crash compares with
 * the snapshot taken before its first script, not with a half-migrated state.
 */
import { z } from "zod";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import type { SqlClient, SqlConnection } from "./driver.js";
import type { HashOutput } from "./dialect-ops.js";

export const preserveSpec = z
  .object({
    name: z.string().min(1).optional().describe("Label in reports and the hash table (default: the table name)."),
    table: z.string().min(1).optional().describe("Table (optionally schema-qualified) whose rows must not change."),
    columns: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe("Columns to hash (default: every column the table has before the first script)."),
    key: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe("Columns giving a stable row order (default: the primary key, else all hashed columns)."),
    where: z.string().min(1).optional().describe("SQL filter: only these rows must be preserved."),
    query: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Instead of a table: a read-only query whose rows (as a multiset) must not change, e.g. data moved to a " +
          "new table.",
      ),
  })
  .strict()
  .refine((s) => (s.table === undefined) !== (s.query === undefined), {
    message: "set exactly one of `table` or `query`",
  })
  .refine((s) => s.query === undefined || s.name !== undefined, { message: "a `query` needs a `name`" })
  .describe("Data that must be identical before and after the migration.");

export type PreserveSpec = z.infer<typeof preserveSpec>;

export interface Snapshot extends HashOutput {
  name: string;
  columns: string[];
}

export const specName = (s: PreserveSpec): string => s.name ?? (s.table as string);

/**
 * Hash one declared item. `columns` fixes the column list (the
 * `before` snapshot's), so added columns do not count as change.
 */
export async function snapshot(
  conn: SqlConnection,
  client: SqlClient,
  spec: PreserveSpec,
  columns?: string[],
): Promise<Snapshot> {
  const name = specName(spec);
  if (spec.query)
    return { name, columns: [], ...(await client.ops.hash(conn, { query: spec.query, columns: [], orderBy: [] })) };
  const table = spec.table as string;
  const present = await client.ops.tableColumns(conn, table);
  if (present.length === 0)
    throw new CutoverError(ErrorCode.StepFailed, `preserved table ${table} does not exist`, { retryable: false });
  const cols = columns ?? spec.columns ?? present;
  const missing = cols.filter((c) => !present.includes(c));
  if (missing.length > 0) {
    throw new CutoverError(
      ErrorCode.StepFailed,
      `data preservation failed for table ${table}: column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ` +
        `no longer exist${missing.length > 1 ? "" : "s"}`,
      {
        retryable: false,
      },
    );
  }
  const pk = await client.ops.primaryKey(conn, table);
  const orderBy = spec.key ?? (pk.length > 0 ? pk : cols);
  return {
    name,
    columns: cols,
    ...(await client.ops.hash(conn, { table, columns: cols, orderBy, where: spec.where })),
  };
}

export async function loadSnapshots(
  conn: SqlConnection,
  client: SqlClient,
  runId: string,
  stage: string,
): Promise<Map<string, Snapshot>> {
  const rows = await conn.query(
    `select name, row_count, hash, columns from ${client.sql.tables.hash} where run_id = $1 and stage = $2`,
    [runId, stage],
  );
  return new Map(
    rows.map((r) => [
      String(r.name),
      {
        name: String(r.name),
        rowCount: Number(r.row_count),
        hash: String(r.hash),
        columns: JSON.parse(String(r.columns)) as string[],
      },
    ]),
  );
}

/** Store (replace) a snapshot; the caller wraps it in a fenced transaction. */
export async function saveSnapshot(
  conn: SqlConnection,
  client: SqlClient,
  runId: string,
  stage: string,
  s: Snapshot,
): Promise<void> {
  const t = client.sql.tables.hash;
  await conn.query(`delete from ${t} where run_id = $1 and name = $2 and stage = $3`, [runId, s.name, stage]);
  await conn.query(`insert into ${t} (run_id, name, stage, row_count, hash, columns) values ($1, $2, $3, $4, $5, $6)`, [
    runId,
    s.name,
    stage,
    s.rowCount,
    s.hash,
    JSON.stringify(s.columns),
  ]);
}

export interface Mismatch {
  name: string;
  before: Snapshot;
  after: Snapshot;
}

export function compareSnapshots(before: Map<string, Snapshot>, after: Snapshot[]): Mismatch[] {
  const out: Mismatch[] = [];
  for (const a of after) {
    const b = before.get(a.name);
    if (b && (b.rowCount !== a.rowCount || b.hash !== a.hash)) out.push({ name: a.name, before: b, after: a });
  }
  return out;
}

export function mismatchError(mismatches: Mismatch[]): CutoverError {
  const lines = mismatches.map(
    (m) =>
      `${m.name}: ${m.before.rowCount} rows ${m.before.hash} before, ${m.after.rowCount} rows ${m.after.hash} after`,
  );
  return new CutoverError(
    ErrorCode.StepFailed,
    `data preservation failed for ${mismatches.map((m) => m.name).join(", ")}:\n` +
      lines.map((l) => "  " + l).join("\n"),
    {
      hint:
        "data meant to stay unchanged changed: inspect the " +
        "scripts that touched these tables before any traffic swap",
      retryable: false,
      details: { tables: mismatches.map((m) => m.name) },
    },
  );
}

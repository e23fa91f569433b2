/**
 * Compatibility checks (Ed-Fi): read-only queries returning offending rows,
 * each with a stable code and a message saying what to change. All run
 * before any change, inside one read-only transaction with writes refused,
 * and all failures are reported together. A failure whose code is
 * acknowledged (`acknowledge: [CODE]` or on the command line) becomes a
 * warning, and the acknowledgement is recorded in the journal.
 */
import { CutoverError, ErrorCode } from "../../core/errors.js";
import type { Row, SqlClient, SqlConnection } from "./driver.js";
import type { CompatCheck } from "./scripts.js";

/** Offending rows shown per failed check. */
const SAMPLE = 10;

export interface CheckResult {
  code: string;
  message: string;
  file?: string;
  /** Offending rows found (capped at SAMPLE + 1 to know there are more). */
  rowCount: number;
  sample: Row[];
  /** The check itself errored (bad SQL, missing table): never bypassable. */
  error?: string;
  acknowledged: boolean;
}

export interface ChecksReport {
  results: CheckResult[];
  failures: CheckResult[];
  /** Failed but acknowledged: recorded, not blocking. */
  bypassed: CheckResult[];
}

export async function runChecks(
  conn: SqlConnection,
  client: SqlClient,
  checks: CompatCheck[],
  acknowledge: string[],
): Promise<ChecksReport> {
  const results: CheckResult[] = [];
  if (checks.length === 0) return { results, failures: [], bypassed: [] };
  await client.ops.readOnlyGuard(conn, true);
  try {
    await conn.transaction(
      async () => {
        for (const check of checks) {
          const base = {
            code: check.code,
            message: check.message,
            file: check.file,
            acknowledged: acknowledge.includes(check.code),
          };
          try {
            // Each check in a savepoint-free way: a failing query aborts a PG transaction, so isolate it.
            const rows = await runOne(conn, client, check.sql);
            results.push({ ...base, rowCount: rows.length, sample: rows.slice(0, SAMPLE) });
          } catch (e) {
            results.push({ ...base, rowCount: 0, sample: [], error: (e as Error).message, acknowledged: false });
          }
        }
      },
      { readOnly: true },
    );
  } finally {
    await client.ops.readOnlyGuard(conn, false);
  }
  const bad = results.filter((r) => r.error !== undefined || r.rowCount > 0);
  return { results, failures: bad.filter((r) => !r.acknowledged), bypassed: bad.filter((r) => r.acknowledged) };
}

async function runOne(conn: SqlConnection, client: SqlClient, sql: string): Promise<Row[]> {
  const limited = `select * from (${sql}) as offending limit ${SAMPLE + 1}`;
  if (client.dialect !== "postgres") return conn.query(limited);
  await conn.query("savepoint cutover_check");
  try {
    const rows = await conn.query(limited);
    await conn.query("release savepoint cutover_check");
    return rows;
  } catch (e) {
    await conn.query("rollback to savepoint cutover_check");
    throw e;
  }
}

export function formatCheckResult(r: CheckResult): string {
  if (r.error !== undefined) return `${r.code}: the check itself failed: ${r.error}${r.file ? ` (${r.file})` : ""}`;
  const more = r.rowCount > r.sample.length ? `, showing ${r.sample.length}` : "";
  const rows = r.sample.map((row) => "      " + JSON.stringify(row)).join("\n");
  return (
    `${r.code}: ${r.message} (${r.rowCount > SAMPLE ? `more than ${SAMPLE}` : r.rowCount} offending ` +
    `row${r.rowCount === 1 ? "" : "s"}${more})\n${rows}`
  );
}

/** One error listing every blocking problem found before any change. */
export function preflightError(problems: string[], hint: string): CutoverError {
  return new CutoverError(
    ErrorCode.StepFailed,
    `${problems.length} problem${problems.length === 1 ? "" : "s"} found before any change:\n` +
      problems.map((p) => "  - " + p.replace(/\n/g, "\n    ")).join("\n"),
    {
      hint,
      retryable: false,
    },
  );
}

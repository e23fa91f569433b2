/**
 * Backups, restores and clones of a PostgreSQL database with its own tools.
 *
 * - backup: `pg_dump --format=custom` without cutover's schema, under the
 *   migration lease. pg_dump reads one snapshot (repeatable read), so the
 *   copy is consistent while the database keeps serving; nothing needs to be
 *   idle (unlike `CREATE DATABASE … TEMPLATE`, which refuses while anyone is
 *   connected to the source).
 * - restore: one psql session, one transaction: drop what the users' schemas
 *   hold now (not extensions' objects, not cutover's schema), replay the
 *   dump, realign the migration journal and backfill progress (see
 *   snapshots.ts), check the lease's fencing token, commit. Any error rolls
 *   all of it back (ON_ERROR_STOP). Readers wait on the drop's locks for the
 *   length of the restore; they are not refused.
 * - clone: CREATE DATABASE, then pg_dump piped into pg_restore, with the
 *   migration journal but without the lease and run store rows.
 */
import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { Json } from "../../core/json.js";
import type { SqlClient } from "./driver.js";
import { quoteIdent } from "./journal-sql.js";
import { readJournal, type NewJournalRow } from "./journal.js";
import { describeHolder } from "./lease.js";
import { withMigrationLease } from "./leased-session.js";
import { pgToolEnv, startTool, withDatabase } from "./pg-tools.js";
import {
  journalMark,
  realignRows,
  targetHashOf,
  reportOf,
  type BackupInfo,
  type CloneInfo,
  type DbSnapshots,
  type SnapshotOptions,
} from "./snapshots.js";
import { describePgTarget } from "./pg-driver.js";
import { fileSha256, jsonRow, verifyBackupFile } from "./snapshot-files.js";

/** A PostgreSQL literal (standard_conforming_strings on, as pg_restore's output sets it). */
function lit(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  return `'${String(v).replace(/'/g, "''")}'`;
}

const sessionOptions = (o: SnapshotOptions) => ({
  runId: o.runId,
  leaseTtlMs: o.leaseTtlMs,
  leaseWaitMs: o.leaseWaitMs,
  log: o.log,
  signal: o.signal,
});

/** Drops every object of the users' schemas: not system ones, not extensions' members, not cutover's. */
function dropUserObjects(keepSchema: string): string {
  const keep = lit(keepSchema);
  const notExtension = (cls: string, oid: string) =>
    `not exists (select 1 from pg_depend d where d.classid = '${cls}'::regclass and d.objid = ${oid} ` +
    `and d.deptype = 'e')`;
  return `do $cutover_restore$
declare r record;
begin
  for r in select nspname from pg_namespace n where nspname not in ('public', 'information_schema', ${keep})
      and nspname not like 'pg\\_%' and ${notExtension("pg_namespace", "n.oid")} loop
    execute format('drop schema %I cascade', r.nspname);
  end loop;
  for r in select format('%I.%I', n.nspname, c.relname) as name, c.relkind from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
      and ${notExtension("pg_class", "c.oid")} loop
    execute format('drop %s if exists %s cascade', case r.relkind when 'v' then 'view'
      when 'm' then 'materialized view' when 'f' then 'foreign table' when 'S' then 'sequence'
      else 'table' end, r.name);
  end loop;
  for r in select p.oid::regprocedure::text as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'public' and ${notExtension("pg_proc", "p.oid")} loop
    execute format('drop routine if exists %s cascade', r.name);
  end loop;
  for r in select format('%I.%I', n.nspname, t.typname) as name, t.typtype from pg_type t
      join pg_namespace n on n.oid = t.typnamespace
      where n.nspname = 'public' and t.typtype in ('e', 'd', 'r', 'm', 'c') and t.typrelid = 0
      and ${notExtension("pg_type", "t.oid")} loop
    execute format('drop %s if exists %s cascade', case r.typtype when 'd' then 'domain' else 'type' end, r.name);
  end loop;
end $cutover_restore$;
`;
}

function insertRowsSql(journal: string, rows: NewJournalRow[]): string {
  return rows
    .map(
      (r) =>
        `insert into ${journal} (seq, name, phase, checksum, transactional, status, finished_at, duration_ms, ` +
        `run_id, release, lease_token, executed_by, error, acknowledged, note) values (${[
          r.seq,
          r.name,
          r.phase,
          r.checksum,
          r.transactional,
          r.status,
        ]
          .map(lit)
          .join(", ")}, now(), ${[
          r.durationMs,
          r.runId,
          r.release,
          r.leaseToken,
          r.executedBy,
          r.error,
          r.acknowledged.join(","),
          r.note,
        ]
          .map(lit)
          .join(", ")});\n`,
    )
    .join("");
}

function restoreBackfillSql(table: string, rows: Record<string, Json>[]): string {
  let out = `delete from ${table};\n`;
  for (const row of rows) {
    const cols = Object.keys(row);
    out +=
      `insert into ${table} (${cols.map(quoteIdent).join(", ")}) values ` +
      `(${cols.map((c) => lit(row[c] as unknown)).join(", ")});\n`;
  }
  return out;
}

export function pgSnapshots(client: SqlClient, url: string): DbSnapshots {
  const schema = client.journalScope;
  const { env, dbname } = pgToolEnv(url);
  const tables = client.sql.tables;

  return {
    async backup(file, o) {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      return withMigrationLease(client, "backup", sessionOptions(o), async ({ conn, signal }) => {
        const journalMarkNow = await journalMark(conn, client.sql);
        const backfill = journalMarkNow > 0 ? await conn.query(`select * from ${tables.backfill} order by name`) : [];
        const partial = `${file}.partial`;
        const dump = startTool(
          "pg_dump",
          ["--format=custom", `--exclude-schema=${schema}`, "--no-owner", "--no-privileges", "-f", partial, dbname],
          env,
          signal,
        );
        await dump.done;
        fs.chmodSync(partial, 0o600);
        fs.renameSync(partial, file);
        const info: BackupInfo = {
          file,
          dialect: "postgres",
          target: client.target,
          targetHash: targetHashOf(client.target),
          bytes: fs.statSync(file).size,
          sha256: await fileSha256(file),
          journalMark: journalMarkNow,
          backfill: backfill.map((r) => jsonRow(r)),
          takenAt: new Date().toISOString(),
        };
        return info;
      });
    },

    async restore(info, o) {
      await verifyBackupFile(info, client.target);
      return withMigrationLease(client, "restore", sessionOptions(o), async ({ conn, lease, signal }) => {
        const rows = realignRows(await readJournal(conn, client.sql), info.journalMark, {
          runId: o.runId,
          leaseToken: lease.token,
          executedBy: describeHolder(),
          note: o.note,
        });
        const psql = startTool("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dbname], env, signal, {
          stdin: "pipe",
        });
        const restore = startTool("pg_restore", ["--no-owner", "--no-privileges", "-f", "-", info.file], env, signal, {
          stdout: "pipe",
        });
        const stdin = psql.child.stdin!;
        stdin.on("error", () => undefined); // psql exiting early is reported by psql.done
        stdin.write(`begin;\n${dropUserObjects(schema)}`);
        await pipeline(restore.child.stdout!, stdin, { end: false });
        await restore.done;
        const fence =
          `do $cutover_fence$ begin if (select token from ${tables.lease} where name = 'migrations' for share) ` +
          `is distinct from ${lease.token} then raise exception 'cutover: the migration lease was lost'; end if; ` +
          `end $cutover_fence$;\n`;
        stdin.end(
          `${insertRowsSql(tables.journal, rows)}${restoreBackfillSql(tables.backfill, info.backfill)}${fence}` +
            `commit;\n`,
        );
        await psql.done;
        return reportOf(rows);
      });
    },

    async clone(name, o) {
      const conn = await client.connect("clone");
      try {
        await conn.query(`create database ${quoteIdent(name)}`);
      } finally {
        await conn.close();
      }
      const dump = startTool(
        "pg_dump",
        [
          "--format=custom",
          "--no-owner",
          "--no-privileges",
          `--exclude-table-data=${schema}.migration_lease`,
          `--exclude-table-data=${schema}.state_*`,
          dbname,
        ],
        env,
        o.signal,
        { stdout: "pipe" },
      );
      const target = pgToolEnv(withDatabase(url, name)).dbname;
      const load = startTool(
        "pg_restore",
        ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "-d", target],
        env,
        o.signal,
        { stdin: "pipe" },
      );
      load.child.stdin!.on("error", () => undefined);
      await Promise.all([pipeline(dump.child.stdout!, load.child.stdin!), dump.done, load.done]);
      return { name, target: describePgTarget(withDatabase(url, name)) } satisfies CloneInfo;
    },

    async cloneExists(name) {
      const conn = await client.connect("clone");
      try {
        return (await conn.query("select 1 from pg_database where datname = $1", [name])).length > 0;
      } finally {
        await conn.close();
      }
    },

    async dropClone(name) {
      const conn = await client.connect("clone");
      try {
        // FORCE: a version still connected to its clone (a rehearsal's app) must not keep it alive.
        await conn.query(`drop database if exists ${quoteIdent(name)} with (force)`);
      } finally {
        await conn.close();
      }
    },

    describeClone: (name) => describePgTarget(withDatabase(url, name)),
  };
}

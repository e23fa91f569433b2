/**
 * Backups, restores and clones of a SQLite database file.
 *
 * - backup / clone: SQLite's online backup API (better-sqlite3 `backup()`),
 *   copying every page in one step, so the copy is one consistent snapshot
 *   while the apps keep reading and writing (WAL mode). The whole file is
 *   copied, cutover's tables included; the journal's high-water mark and the
 *   backfill progress are read from the copy itself, so they match its data
 *   exactly. A clone keeps the migration journal (migrating it applies only
 *   what is pending) and drops the lease row.
 * - restore: on one connection holding the migration lease, the backup is
 *   ATTACHed and, in one BEGIN IMMEDIATE transaction, every users' table,
 *   view, index and trigger is dropped and recreated from the backup with its
 *   rows; cutover's tables stay, and the journal and backfill progress are
 *   realigned (see snapshots.ts). Foreign keys are checked at commit.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { Json } from "../../core/json.js";
import type { SqlClient, SqlConnection } from "./driver.js";
import { assertFence, describeHolder } from "./lease.js";
import { insertJournalRow, readJournal } from "./journal.js";
import { quoteIdent } from "./journal-sql.js";
import { withMigrationLease } from "./leased-session.js";
import {
  realignRows,
  reportOf,
  targetHashOf,
  type BackupInfo,
  type DbSnapshots,
  type SnapshotOptions,
} from "./snapshots.js";
import { fileSha256, jsonRow, verifyBackupFile } from "./snapshot-files.js";

const ATTACHED = "cutover_backup";

/** Copy `source` to `dest` through the online backup API, all pages in one step (one read snapshot). */
async function copyDatabase(source: string, dest: string): Promise<void> {
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    await db.backup(dest, { progress: () => 1_000_000_000 });
  } finally {
    db.close();
  }
}

/**
 * A backup of a database in WAL mode (an app's, while it serves) says WAL in its header too, and every later reader
 * of it (a read-only one cannot clean up) would leave a -wal and a -shm beside it: a backup is switched to a
 * rollback journal, one self-contained file that can be kept or moved alone. (A clone keeps its source's mode: an
 * app will serve from it.)
 */
function selfContained(file: string): void {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma("journal_mode = DELETE");
  } finally {
    db.close();
  }
}

interface SchemaObject {
  type: string;
  name: string;
  sql: string | null;
}

const isUsers = (prefix: string) => (o: SchemaObject) =>
  !o.name.startsWith("sqlite_") && !o.name.startsWith(prefix) && o.sql !== null;

async function objectsOf(conn: SqlConnection, schema: string, prefix: string): Promise<SchemaObject[]> {
  const rows = (await conn.query(
    `select type, name, sql from ${schema}.sqlite_master order by rowid`,
  )) as unknown as SchemaObject[];
  return rows.filter(isUsers(prefix));
}

/** What the backup copy itself says about the journal and backfill progress. */
function bookkeepingOf(file: string, prefix: string): { mark: number; backfill: Record<string, Json>[] } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const has = (t: string) =>
      db.prepare("select count(*) as n from sqlite_master where type = 'table' and name = ?").get(`${prefix}${t}`) as {
        n: number;
      };
    if (has("migration_journal").n === 0) return { mark: 0, backfill: [] };
    const mark = db.prepare(`select max(id) as id from ${quoteIdent(`${prefix}migration_journal`)}`).get() as {
      id: number | null;
    };
    const backfill =
      has("backfill_progress").n === 0
        ? []
        : (db.prepare(`select * from ${quoteIdent(`${prefix}backfill_progress`)} order by name`).all() as Record<
            string,
            unknown
          >[]);
    return { mark: mark.id ?? 0, backfill: backfill.map(jsonRow) };
  } finally {
    db.close();
  }
}

export function sqliteSnapshots(client: SqlClient, file: string): DbSnapshots {
  const prefix = client.journalScope;
  const session = (o: SnapshotOptions) => ({
    runId: o.runId,
    leaseTtlMs: o.leaseTtlMs,
    leaseWaitMs: o.leaseWaitMs,
    log: o.log,
    signal: o.signal,
  });
  const clonePath = (name: string) => path.resolve(path.dirname(file), name);

  return {
    async backup(dest, o) {
      fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
      const partial = `${dest}.partial`;
      fs.rmSync(partial, { force: true });
      await withMigrationLease(client, "backup", session(o), () => copyDatabase(file, partial));
      selfContained(partial);
      fs.chmodSync(partial, 0o600);
      fs.renameSync(partial, dest);
      const { mark, backfill } = bookkeepingOf(dest, prefix);
      return {
        file: dest,
        dialect: "sqlite",
        target: client.target,
        targetHash: targetHashOf(client.target),
        bytes: fs.statSync(dest).size,
        sha256: await fileSha256(dest),
        journalMark: mark,
        backfill,
        takenAt: new Date().toISOString(),
      } satisfies BackupInfo;
    },

    async restore(info, o) {
      await verifyBackupFile(info, client.target);
      return withMigrationLease(client, "restore", session(o), async ({ conn, lease }) => {
        await conn.query(`attach database $1 as ${ATTACHED}`, [info.file]);
        try {
          const rows = realignRows(await readJournal(conn, client.sql), info.journalMark, {
            runId: o.runId,
            leaseToken: lease.token,
            executedBy: describeHolder(),
            note: o.note,
          });
          const now = await objectsOf(conn, "main", prefix);
          const then = await objectsOf(conn, ATTACHED, prefix);
          await conn.transaction(async () => {
            await conn.exec("pragma defer_foreign_keys = on");
            for (const kind of ["view", "trigger", "table"]) {
              for (const o2 of now.filter((x) => x.type === kind))
                await conn.exec(`drop ${kind} if exists main.${quoteIdent(o2.name)}`);
            }
            for (const t of then.filter((x) => x.type === "table")) {
              await conn.exec(t.sql!);
              await conn.exec(`insert into main.${quoteIdent(t.name)} select * from ${ATTACHED}.${quoteIdent(t.name)}`);
            }
            for (const kind of ["index", "trigger", "view"])
              for (const x of then.filter((y) => y.type === kind)) await conn.exec(x.sql!);
            await restoreSequences(conn, prefix);
            // The schema version many apps keep in the file header (PRAGMA user_version) is the backup's too.
            const [version] = await conn.query<{ user_version: number }>(`pragma ${ATTACHED}.user_version`);
            await conn.exec(`pragma main.user_version = ${Number(version?.user_version ?? 0)}`);
            for (const row of rows) await insertJournalRow(conn, client.sql, row);
            await restoreBackfill(conn, client.sql.tables.backfill, info.backfill);
            await assertFence(conn, client, lease.token);
          });
          return reportOf(rows);
        } finally {
          await conn.query(`detach database ${ATTACHED}`);
        }
      });
    },

    async clone(name, o) {
      const dest = clonePath(name);
      await withMigrationLease(client, "clone", session(o), () => copyDatabase(file, dest));
      const db = new Database(dest);
      try {
        const lease = quoteIdent(`${prefix}migration_lease`);
        const exists = db
          .prepare("select count(*) as n from sqlite_master where name = ?")
          .get(`${prefix}migration_lease`);
        if ((exists as { n: number }).n > 0) db.exec(`delete from ${lease}`);
      } finally {
        db.close();
      }
      return { name: dest, target: `sqlite:${dest}` };
    },

    async cloneExists(name) {
      return fs.existsSync(clonePath(name));
    },

    async dropClone(name) {
      const dest = clonePath(name);
      for (const f of [dest, `${dest}-wal`, `${dest}-shm`]) fs.rmSync(f, { force: true });
    },

    describeClone: (name) => `sqlite:${clonePath(name)}`,
  };
}

/** AUTOINCREMENT counters of the users' tables, as the backup had them. */
async function restoreSequences(conn: SqlConnection, prefix: string): Promise<void> {
  const has = async (schema: string) =>
    (await conn.query(`select 1 from ${schema}.sqlite_master where name = 'sqlite_sequence'`)).length > 0;
  if (!(await has("main"))) return;
  await conn.query("delete from main.sqlite_sequence where substr(name, 1, $1) <> $2", [prefix.length, prefix]);
  if (!(await has(ATTACHED))) return;
  await conn.query(
    `insert into main.sqlite_sequence (name, seq) select name, seq from ${ATTACHED}.sqlite_sequence ` +
      "where substr(name, 1, $1) <> $2",
    [prefix.length, prefix],
  );
}

async function restoreBackfill(conn: SqlConnection, table: string, rows: Record<string, Json>[]): Promise<void> {
  await conn.query(`delete from ${table}`);
  for (const row of rows) {
    const cols = Object.keys(row);
    await conn.query(
      `insert into ${table} (${cols.map(quoteIdent).join(", ")}) values (${cols.map((_, i) => `$${i + 1}`).join(", ")})`,
      cols.map((c) => row[c]),
    );
  }
}

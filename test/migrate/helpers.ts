import { afterAll } from "vitest";
/** Test helpers: a fresh PostgreSQL database or SQLite file per test file, script folders in temp dirs. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { SqlClient, SessionSettings } from "../../src/providers/sql/driver.js";
import { createPgClient } from "../../src/providers/sql/pg-driver.js";
import { createSqliteClient } from "../../src/providers/sql/sqlite-driver.js";
import { postgresUnreachable } from "../support/system.js";

const ADMIN_URL = process.env.CUTOVER_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const SETTINGS: SessionSettings = { lockTimeoutMs: 2000, statementTimeoutMs: 60_000 };

export interface TestDb {
  dialect: "postgres" | "sqlite";
  /** A client with the given overrides (each call makes a new one; connections are per call anyway). */
  client(settings?: Partial<SessionSettings>): SqlClient;
  /** Connection URL (PG) or file path (SQLite), for child processes. */
  location: string;
  drop(): Promise<void>;
}

export async function createPgDb(): Promise<TestDb> {
  const name = `cutover_t_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect().catch((e: unknown) => {
    throw postgresUnreachable(ADMIN_URL, e);
  });
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(ADMIN_URL);
  u.pathname = "/" + name;
  const url = u.toString();
  return {
    dialect: "postgres",
    location: url,
    client: (s) => createPgClient({ connectionString: url, schema: "cutover", settings: { ...SETTINGS, ...s } }),
    async drop() {
      const a = new pg.Client({ connectionString: ADMIN_URL });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

export async function createSqliteDb(): Promise<TestDb> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-sqlite-"));
  const file = path.join(dir, "test.db");
  return {
    dialect: "sqlite",
    location: file,
    client: (s) => createSqliteClient({ path: file, tablePrefix: "cutover_", settings: { ...SETTINGS, ...s } }),
    async drop() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const DBS = [
  ["postgres", createPgDb],
  ["sqlite", createSqliteDb],
] as const;

/** Write a script folder: `{ "0001_x.expand.sql": "...", "checks/a.sql": "..." }`. */
export function writeFolder(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-scripts-"));
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return dir;
}

/** A maker of script folders (writeFolder) that removes them after the suite: call it in a describe or at top level. */
export function tempFolders(): (files: Record<string, string>) => string {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));
  return (files) => {
    const dir = writeFolder(files);
    dirs.push(dir);
    return dir;
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface TestLog {
  info(m: string): void;
  warn(m: string): void;
  progress(m: string, f?: number): void;
  lines: string[];
}

export function testLog(): TestLog {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push("info: " + m),
    warn: (m) => lines.push("warn: " + m),
    progress: (m) => lines.push("progress: " + m),
  };
}

/** Run one query on a fresh connection. */
export async function q(db: TestDb, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const conn = await db.client().connect("test");
  try {
    return await conn.query(sql, params);
  } finally {
    await conn.close();
  }
}

export async function qexec(db: TestDb, sql: string): Promise<void> {
  const conn = await db.client().connect("test");
  try {
    await conn.exec(sql);
  } finally {
    await conn.close();
  }
}

/** A client whose journal lives in its own scope (PG schema / SQLite prefix), so tests do not share a journal. */
export function scoped(db: TestDb, scope: string, settings?: Partial<SessionSettings>): SqlClient {
  const base = db.client(settings);
  return db.dialect === "postgres"
    ? createPgClient({ connectionString: db.location, schema: scope, settings: base.settings })
    : createSqliteClient({ path: db.location, tablePrefix: scope + "_", settings: base.settings });
}

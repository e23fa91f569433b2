/**
 * Dialect-specific introspection and hashing the engine needs beyond plain
 * queries. PostgreSQL computes row hashes in SQL (no rows cross the wire);
 * SQLite is in-process, so hashing rows in JavaScript costs nothing extra.
 */
import { createHash } from "node:crypto";
import type { SqlConnection } from "./driver.js";
import { quoteIdent } from "./journal-sql.js";

interface HashInput {
  /** A table (optionally schema-qualified) or undefined for a query. */
  table?: string;
  /** A read-only query whose rows are hashed as a multiset (order-independent). */
  query?: string;
  /** Columns to hash, in this order. */
  columns: string[];
  /** Columns that give the rows a stable order (the primary key by default). */
  orderBy: string[];
  /** Optional filter on the table. */
  where?: string;
}

export interface HashOutput {
  rowCount: number;
  hash: string;
}

export interface DialectOps {
  /** Column names of a table in declared order; [] if the table does not exist. */
  tableColumns(conn: SqlConnection, table: string): Promise<string[]>;
  /** Primary key columns in key order; [] if none. */
  primaryKey(conn: SqlConnection, table: string): Promise<string[]>;
  hash(conn: SqlConnection, input: HashInput): Promise<HashOutput>;
  /** PG: whether an index exists and is valid (`pg_index.indisvalid`); SQLite: always valid if it exists. */
  indexState(conn: SqlConnection, name: string): Promise<"missing" | "valid" | "invalid">;
  /** Make the session refuse writes while compatibility checks run. */
  readOnlyGuard(conn: SqlConnection, on: boolean): Promise<void>;
}

const cols = (names: string[]) => names.map(quoteIdent).join(", ");

export const postgresOps: DialectOps = {
  async tableColumns(conn, table) {
    const rows = await conn.query(
      `select attname from pg_attribute where attrelid = to_regclass($1) and attnum > 0 and not attisdropped ` +
        `order by attnum`,
      [table],
    );
    return rows.map((r) => String(r.attname));
  },
  async primaryKey(conn, table) {
    const rows = await conn.query(
      `select a.attname from pg_index i cross join lateral unnest(i.indkey) with ordinality as k(attnum, pos)
         join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
        where i.indrelid = to_regclass($1) and i.indisprimary order by k.pos`,
      [table],
    );
    return rows.map((r) => String(r.attname));
  },
  async hash(conn, input) {
    // In SQL, so no row crosses the wire: each row's text form (a quoted row literal, so the
    // concatenation is unambiguous) in key order, hashed once. The aggregate string is bounded
    // by PostgreSQL's 1 GB text limit (roughly 10 million rows of 100 bytes): split bigger tables
    // into several preserve entries with `where` ranges. A query's rows are sorted by their text.
    const sql = input.query
      ? `select count(*)::bigint as n, coalesce(md5(string_agg(r, '' order by r)), md5('')) as hash
           from (select q::text as r from (${input.query}) as q) as rows`
      : `select count(*)::bigint as n, coalesce(md5(string_agg(row(${cols(input.columns)})::text, '' order by ` +
        `${cols(input.orderBy)})), md5('')) as hash
           from ${quoteIdent(input.table as string)}${input.where ? ` where ${input.where}` : ""}`;
    const rows = await conn.query(sql);
    return { rowCount: Number(rows[0]?.n ?? 0), hash: "md5:" + String(rows[0]?.hash) };
  },
  async indexState(conn, name) {
    const rows = await conn.query(`select i.indisvalid as valid from pg_index i where i.indexrelid = to_regclass($1)`, [
      name,
    ]);
    if (rows.length === 0) return "missing";
    return rows[0]?.valid === true ? "valid" : "invalid";
  },
  async readOnlyGuard(conn, on) {
    await conn.query(on ? "set default_transaction_read_only = on" : "set default_transaction_read_only = off");
  },
};

export const sqliteOps: DialectOps = {
  async tableColumns(conn, table) {
    const rows = await conn.query(`select name from pragma_table_info($1) order by cid`, [table]);
    return rows.map((r) => String(r.name));
  },
  async primaryKey(conn, table) {
    const rows = await conn.query(`select name from pragma_table_info($1) where pk > 0 order by pk`, [table]);
    return rows.map((r) => String(r.name));
  },
  async hash(conn, input) {
    const h = createHash("sha256");
    let n = 0;
    if (input.query) {
      // A query is hashed as a multiset: sort the per-row digests.
      const digests = (await conn.query(input.query)).map((r) =>
        createHash("md5")
          .update(JSON.stringify(Object.values(r)))
          .digest("hex"),
      );
      digests.sort();
      for (const d of digests) h.update(d);
      n = digests.length;
    } else {
      const rows = await conn.query(
        `select ${cols(input.columns)} from ` +
          `${quoteIdent(input.table as string)}${input.where ? ` where ${input.where}` : ""} order by ` +
          `${cols(input.orderBy)}`,
      );
      for (const r of rows) h.update(JSON.stringify(input.columns.map((c) => r[c] ?? null)) + "\n");
      n = rows.length;
    }
    return { rowCount: n, hash: "sha256:" + h.digest("hex") };
  },
  async indexState(conn, name) {
    const rows = await conn.query(`select 1 as x from sqlite_master where type = 'index' and name = $1`, [name]);
    return rows.length === 0 ? "missing" : "valid";
  },
  async readOnlyGuard(conn, on) {
    await conn.exec(`pragma query_only = ${on ? "on" : "off"}`);
  },
};

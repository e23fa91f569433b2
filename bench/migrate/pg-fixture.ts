/** A throwaway PostgreSQL database for the migration benchmarks, and a table of N users. */
import pg from "pg";

const ADMIN_URL = process.env.CUTOVER_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export async function createBenchDb(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `cutover_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(ADMIN_URL);
  u.pathname = "/" + name;
  return {
    url: u.toString(),
    async drop() {
      const a = new pg.Client({ connectionString: ADMIN_URL });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

export async function createUsers(url: string, table: string, rows: number): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(
    `create table ${table} (id bigint primary key, email text not null, created_at timestamptz not null default ` +
      `now(), email_lower text)`,
  );
  await c.query(
    `insert into ${table} (id, email) select i, 'User' || i || '@Example.COM' from generate_series(1, ${rows}) as i`,
  );
  await c.query(`vacuum analyze ${table}`);
  await c.end();
}

/**
 * A concurrent writer: single-row updates of random rows, as fast as it can
 * with a short pause, recording how long each waited. Returns the stop
 * function, which resolves with the latency figures.
 */
export function startWriter(
  url: string,
  table: string,
  rows: number,
): { stop(): Promise<{ count: number; maxMs: number; p99Ms: number }> } {
  let running = true;
  const latencies: number[] = [];
  const done = (async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query("set lock_timeout = 0");
    while (running) {
      const id = 1 + Math.floor(Math.random() * rows);
      const t0 = performance.now();
      await c.query(`update ${table} set created_at = now() where id = $1`, [id]);
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 2));
    }
    await c.end();
  })();
  return {
    async stop() {
      running = false;
      await done;
      const sorted = [...latencies].sort((a, b) => a - b);
      return { count: sorted.length, maxMs: sorted.at(-1) ?? 0, p99Ms: sorted[Math.floor(sorted.length * 0.99)] ?? 0 };
    },
  };
}

/**
 * Benchmark: the Ed-Fi seed's upgrade (S4 playbooks/edfi-upgrade.yaml) under load, `rounds` times, each on a
 * fresh PostgreSQL database holding the demo ODS and a fresh local environment running API v1. Per run: the
 * write-unavailable window (first refused write sent to last refused write answered), the release's wall
 * time (run.started to run.finished), and what it cannot avoid: the grace period before API v1 stops, plus
 * the database work the seed's own utility does too (backup, the two hash passes, the scripts). The ratio
 * wall / unavoidable is cutover's overhead plus starting API v2 (target: <= 1.2).
 *   npm run build:bench && node dist/bench/seeds/edfi-upgrade.js [rounds]
 * Needs PostgreSQL (CUTOVER_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/test) and pg_dump/pg_restore.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { cutoverOk, root, stepProfile, type Event } from "./cli.js";
import { calibrate } from "./calibrate.js";
import pg from "pg";
import { LoadGenerator } from "../local/loadgen.js";
import { localDown, localUp } from "../../src/providers/local/lifecycle.js";
import { machine, median } from "../local/common.js";

const rounds = Number(process.argv[2] ?? 3);
const ADMIN_URL = process.env.CUTOVER_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const GRACE_MS = 2000;

const t = (events: Event[], type: string, step?: string) =>
  Date.parse(events.find((e) => e.type === type && (step === undefined || e.stepId === step))?.at ?? "");
const stepMs = (events: Event[], step: string) => t(events, "step.succeeded", step) - t(events, "step.started", step);

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A fresh database with the demo ODS; its URL carries a password as a real one would (trust auth ignores it). */
async function freshOds(name: string): Promise<string> {
  await admin(`create database ${name}`);
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  await c.query(fs.readFileSync(path.join(root, "demo/edfi/ods-v1.sql"), "utf8"));
  await c.end();
  u.password = "unused";
  return u.toString();
}

async function once() {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "cutover-bench-edfi-"));
  const name = `cutover_bench_edfi_${process.pid}_${Date.now()}`;
  const dir = path.join(stateDir, "local");
  try {
    const url = await freshOds(name);
    const { status } = await localUp({
      dir,
      baseline: {
        version: "v1",
        command: ["node", path.join(root, "demo/edfi/api.js"), "v1"],
        cwd: path.join(root, "playbooks"),
        env: { ODS_URL: url },
        healthPath: "/health",
        healthTimeoutMs: 15_000,
      },
    });
    const load = new LoadGenerator({
      url: status.publicUrl,
      readPath: "/students?limit=5",
      writePath: "/students",
      keepAliveWorkers: 3,
      freshWorkers: 1,
      writeRatio: 0.2,
      maxRequests: 1_000_000,
      maxDurationMs: 180_000,
      pauseMs: 2,
    }).start();
    await new Promise((r) => setTimeout(r, 1000));
    const playbook = path.join(root, "playbooks/edfi-upgrade.yaml");
    const events = await cutoverOk(
      stateDir,
      ["run", playbook, "-p", "acknowledge=E_EXTENSION_DEPENDENCY", "-p", `grace=${GRACE_MS}ms`],
      { ODS_URL: url },
    );
    const report = await load.stop();
    const refused = report.samples.filter((s) => s.kind === "write" && s.status === 503);
    const window = refused.length
      ? Math.max(...refused.map((s) => s.end)) - Math.min(...refused.map((s) => s.start))
      : 0;
    const wall = t(events, "run.finished") - t(events, "run.started");
    const dbWork = ["backup", "hash-before", "upgrade", "hash-after"].reduce((a, s) => a + stepMs(events, s), 0);
    const deploy = stepMs(events, "deploy");
    const failedReads = report.samples.filter((s) => s.kind === "read" && s.status !== 200).length;
    return { window, refused: refused.length, wall, dbWork, deploy, failedReads, requests: report.total, events };
  } finally {
    await localDown({ dir }).catch(() => undefined);
    await admin(`drop database if exists ${name} with (force)`).catch(() => undefined);
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
console.log(`machine: ${machine()}`);
calibrate();
const results = [];
for (let i = 0; i < rounds; i++) {
  const r = await once();
  results.push(r);
  const unavoidable = r.dbWork + GRACE_MS;
  console.log(
    `S4 round ${i + 1}: refused writes ${r.refused} over ${s(r.window)}; wall ${s(r.wall)}; unavoidable ` +
      `${s(unavoidable)} (database work ${s(r.dbWork)} + grace ${s(GRACE_MS)}; ${(r.wall / unavoidable).toFixed(2)}x); ` +
      `API v2 start ${s(r.deploy)}; failed reads ${r.failedReads} of ${r.requests} requests`,
  );
  console.log(`  steps: ${stepProfile(r.events)}`);
}
console.log(
  `S4 median: write-unavailable window ${s(median(results.map((r) => r.window)))}, wall ` +
    `${s(median(results.map((r) => r.wall)))}, ` +
    `${median(results.map((r) => r.wall / (r.dbWork + GRACE_MS))).toFixed(2)}x the unavoidable`,
);

/**
 * Benchmark: S5 Squidex (playbooks/squidex-clone.yaml) under a steady read/write load on the demo/squidex
 * content API, through the built CLI, a fresh PostgreSQL database per round. Each round runs the rehearsal
 * first (seed step 0: how long will the migration take?) and then the release, its cleanup gate approved in
 * advance. Measures the write-unavailable window (first refused write to last: the read-only window), failed
 * reads, and the release's wall time beside the sum of its unavoidable waits (the write drain at read-only
 * on and the old deployment's grace period), and beside those plus the copy and migration work the seed
 * prescribes (backup, clone, migrate: the time while any of them ran, as the backup runs beside the other two).
 *   npm run build:bench && node dist/bench/seeds/squidex-clone.js [contents=50000] [grace=2s] [rounds=3]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { cutoverJson, root, stepProfile, unionMs, type Event } from "./cli.js";
import { calibrate } from "./calibrate.js";
import pg from "pg";
import { LoadGenerator, type Sample } from "../local/loadgen.js";
import { machine } from "../local/common.js";
import { localDown } from "../../src/providers/local/lifecycle.js";

const contents = Number(process.argv[2] ?? 50_000);
const grace = process.argv[3] ?? "2s";
const rounds = Number(process.argv[4] ?? 3);
const graceMs = Number(/^(\d+)s$/.exec(grace)?.[1] ?? NaN) * 1000;
if (!Number.isFinite(graceMs)) throw new Error(`grace must be whole seconds such as 2s, got ${grace}`);
const server = process.env.CUTOVER_BENCH_PG_SERVER ?? "postgres://postgres@127.0.0.1:5432";
const playbook = path.join(root, "playbooks/squidex-clone.yaml");

const cli = (stateDir: string, args: string[]) => cutoverJson(stateDir, args);

async function sql(database: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: `${server}/${database}` });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

const runMs = (events: Event[]) => {
  const at = events.filter((e) => e.at && e.type.startsWith("run.")).map((e) => Date.parse(e.at!));
  return Math.max(...at) - Math.min(...at);
};
const stepMs = (events: Event[], id: string) => {
  const at = (t: string) => Date.parse(events.find((e) => e.type === t && e.stepId === id)?.at ?? "");
  return at("step.succeeded") - at("step.started");
};
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const window = (xs: Sample[]) =>
  xs.length ? Math.max(...xs.map((x) => x.end)) - Math.min(...xs.map((x) => x.start)) : 0;

console.log(`machine: ${machine()}`);
calibrate();
console.log(`contents: ${contents}; grace for the old deployment: ${grace}; rounds: ${rounds}`);
for (let round = 1; round <= rounds; round++) {
  const database = `cutover_bench_s5_${process.pid}_${round}`;
  const clone = `${database}_v2`;
  const params = ["-p", `server=${server}`, "-p", `database=${database}`, "-p", `clone=${clone}`];
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "cutover-bench-s5-"));
  await sql("postgres", `create database ${database}`);
  try {
    const install = await cli(stateDir, [
      "run",
      path.join(root, "playbooks/squidex-install.yaml"),
      ...params.slice(0, 4),
    ]);
    if (install.code !== 0) throw new Error(`install failed (exit ${install.code})`);
    await sql(
      database,
      `insert into contents (data) select jsonb_build_object('title', 'item ' || g, 'body', repeat('x', 200)) ` +
        `from generate_series(1, ${contents}) g`,
    );
    const up = await cli(stateDir, ["local", "up", "--playbook", playbook, ...params]);
    const url = String(
      (up.events.find((e) => e.type === "local.up") as { status?: { publicUrl?: string } })?.status?.publicUrl,
    );
    if (up.code !== 0 || !url.startsWith("http")) throw new Error(`local up failed (exit ${up.code})`);

    const load = new LoadGenerator({
      url,
      keepAliveWorkers: 3,
      freshWorkers: 1,
      writeRatio: 0.3,
      readPath: "/contents?limit=5",
      writePath: "/contents",
      maxRequests: 1_000_000,
      maxDurationMs: 600_000,
      pauseMs: 2,
    }).start();
    await new Promise((r) => setTimeout(r, 1000));
    const rehearsal = await cli(stateDir, ["run", playbook, ...params, "-p", "rehearsal=true"]);
    const rehearsalRefused = load.samples.filter((x) => x.kind === "write" && x.status === 503).length;
    const release = await cli(stateDir, [
      "run",
      playbook,
      ...params,
      "-p",
      `grace=${grace}`,
      "--approve",
      "retire-old",
    ]);
    await new Promise((r) => setTimeout(r, 1000));
    const report = await load.stop();

    const refused = report.samples.filter((x) => x.kind === "write" && x.status === 503);
    const failedReads = report.samples.filter((x) => x.kind === "read" && x.status !== 200).length;
    const reads = report.samples.filter((x) => x.kind === "read").length;
    const wall = runMs(release.events);
    const waits = graceMs + stepMs(release.events, "writes-drained");
    // The backup runs beside the clone and the migration (playbooks/squidex-clone.yaml, group `copies`): the
    // time they take is the union of their intervals, not the sum of their durations.
    const work = unionMs(release.events, ["backup", "clone", "migrate"]);
    const workSum = ["backup", "clone", "migrate"].reduce((a, id) => a + stepMs(release.events, id), 0);
    console.log(`\nround ${round}: rehearsal exit ${rehearsal.code}, release exit ${release.code}`);
    console.log(
      `  rehearsal: wall ${s(runMs(rehearsal.events))}, clone ${s(stepMs(rehearsal.events, "clone"))}, migrate ` +
        `${s(stepMs(rehearsal.events, "migrate"))}, refused writes ${rehearsalRefused}`,
    );
    console.log(
      `  release: refused writes ${refused.length}, write-unavailable window ${s(window(refused))} ` +
        `(read-only-on to read-only-off in the journal); failed reads ${failedReads} of ${reads}`,
    );
    console.log(
      `  release wall ${s(wall)} vs unavoidable waits ${s(waits)} (grace + write drain): ${(wall / waits).toFixed(2)}x; ` +
        `with backup+clone+migrate (${s(work)} while any of them ran; their durations add up to ${s(workSum)}) ` +
        `as waits too: ${(wall / (waits + work)).toFixed(2)}x`,
    );
    // Dropping the old database (seed step 7) is database work too, as S4 counts its backup and scripts: most
    // of it is PostgreSQL's forced checkpoint (DROP DATABASE flushes every dirty page of the cluster).
    const drop = stepMs(release.events, "drop-old-database");
    console.log(
      `  with the old database's drop (${s(drop)}) counted as database work as well: ` +
        `${(wall / (waits + work + drop)).toFixed(2)}x`,
    );
    console.log(`  steps: ${stepProfile(release.events)}`);
  } finally {
    await localDown({ dir: path.join(stateDir, "local") }).catch(() => undefined);
    fs.rmSync(stateDir, { recursive: true, force: true });
    await sql("postgres", `drop database if exists ${clone} with (force)`);
    await sql("postgres", `drop database if exists ${database} with (force)`);
  }
}

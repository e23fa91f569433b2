/**
 * What the seed benches' figures depend on besides cutover, printed before every bench so that rounds taken on
 * different machines (or on one machine on different days) can be set side by side: how long Node takes to
 * start an empty script (every new version's web role and workers pay it; on two cores beside the load it is
 * the largest part of a deploy), and for the CQRS benches one `rabbitmqctl list_queues` (S1's exact drain
 * reading: an Erlang VM start, about 0.75 s of CPU).
 *
 * NODE_EXTRA_CA_CERTS: the machines of this project set it to the system's whole bundle
 * (/etc/ssl/certs/ca-certificates.crt, 144 certificates), and Node 20 parses that file as it starts, in every
 * process: 60 ms more per start (84 against 145 ms for an empty script, measured 2026-12-06). cutover passes it
 * down to the apps it starts (src/core/child-env.ts: apps behind a company CA need it), so here each of a new
 * version's processes paid it. Nothing in these benches uses TLS, so they unset it for the CLI, the supervisor
 * and the apps, and say so; `KEEP_EXTRA_CA=1` keeps it, to measure the machine as it is.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { hasProgram, median } from "../local/common.js";

function startMs(env: NodeJS.ProcessEnv, runs = 5): number {
  const empty = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cutover-calibrate-")), "empty.js");
  fs.writeFileSync(empty, "");
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    spawnSync(process.execPath, [empty], { env, stdio: "ignore" });
    times.push(performance.now() - t);
  }
  fs.rmSync(path.dirname(empty), { recursive: true, force: true });
  return median(times);
}

function rabbitmqctlMs(runs = 3): number | undefined {
  if (!hasProgram("rabbitmqctl")) return undefined;
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync("rabbitmqctl", ["-q", "list_queues", "name", "messages_ready", "--formatter", "json"], {
      stdio: "ignore",
    });
    if (r.status !== 0) return undefined;
    times.push(performance.now() - t);
  }
  return median(times);
}

/** Print the calibration line(s) and unset NODE_EXTRA_CA_CERTS for what the bench starts (see above). */
export function calibrate(opts: { rabbitmq?: boolean } = {}): void {
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  const without = { ...process.env };
  delete without.NODE_EXTRA_CA_CERTS;
  const plain = startMs(without);
  let line = `node start (empty script, median of 5): ${plain.toFixed(0)} ms`;
  if (extra) {
    line += `; ${startMs(process.env).toFixed(0)} ms with NODE_EXTRA_CA_CERTS=${extra}`;
    if (process.env.KEEP_EXTRA_CA === "1") line += " (kept: KEEP_EXTRA_CA=1)";
    else {
      delete process.env.NODE_EXTRA_CA_CERTS;
      line += " (unset for this bench: nothing here uses TLS)";
    }
  }
  console.log(line);
  if (opts.rabbitmq) {
    const ctl = rabbitmqctlMs();
    if (ctl !== undefined) console.log(`rabbitmqctl list_queues (median of 3, idle): ${ctl.toFixed(0)} ms`);
  }
}

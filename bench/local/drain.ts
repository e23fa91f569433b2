/**
 * Benchmark: drain overshoot, from the moment the last in-flight request
 * ended (the proxy's clock) to the moment `local.drain` returned (target:
 * at most 100 ms). Each trial holds 1-4 requests on the idle slot for
 * 100-400 ms, starts the drain, and measures.
 *   npm run build:bench && node dist/bench/local/drain.js [trials]
 */
import path from "node:path";
import { localDrain } from "../../src/actions/local-drain.js";
import type { ActionContext } from "../../src/core/action.js";
import { LocalClient } from "../../src/providers/local/client.js";
import { demoSpec } from "../../src/providers/local/lifecycle.js";
import { machine, median, ms, quantile, withLocalEnvironment } from "./common.js";

const trials = Number(process.argv[2] ?? 30);

await withLocalEnvironment(async (status, stateDir) => {
  console.log(`machine: ${machine()}`);
  const client = new LocalClient({ dir: path.join(stateDir, "local") });
  await client.deploy("green", demoSpec("v1"));
  const ctx = {
    signal: new AbortController().signal,
    log: { info: () => undefined, warn: () => undefined, progress: () => undefined },
    provider: async () => client,
    dryRun: false,
  } as unknown as ActionContext;
  const overshoots: number[] = [];
  for (let t = 0; t < trials; t++) {
    // Make green live, hold requests on it, make blue live: green is now idle with requests in flight.
    await client.setLive("green");
    const n = 1 + (t % 4);
    const held = Array.from({ length: n }, (_, i) =>
      fetch(`${status.publicUrl}/orders?delayMs=${100 + ((t * 37 + i * 91) % 300)}`).then((r) => r.text()),
    );
    while ((await client.status()).slots.green.inFlight < n) await new Promise((r) => setTimeout(r, 2));
    await client.setLive("blue");
    const out = await localDrain.run(localDrain.with.parse({ slot: "green" }), ctx);
    const returned = Date.now();
    // On a loaded machine the held requests may all end before the drain begins: nothing to measure then.
    if (typeof out.outputs?.lastEndedAt === "number") overshoots.push(returned - out.outputs.lastEndedAt);
    await Promise.all(held);
  }
  const skipped = trials - overshoots.length;
  console.log(
    `trials: ${overshoots.length} measured (${skipped} where the requests ended before the drain began);` +
      ` overshoot (last request ended -> local.drain returned): median ${ms(median(overshoots))},` +
      ` p95 ${ms(quantile(overshoots, 0.95))}, max ${ms(Math.max(...overshoots))}`,
  );
});

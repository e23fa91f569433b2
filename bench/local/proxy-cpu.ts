/**
 * Benchmark: the local proxy's own CPU time per request, the figure that
 * survives a shared machine (throughput there is mostly the CPU share a
 * process gets). A ReverseProxy runs in this process in front of an app with a
 * constant answer in another; wrk (apt-get install wrk) loads it; the
 * process's CPU time is divided by the requests served. The first round warms
 * the JIT and is left out of the median.
 *   npm run build:bench && node dist/bench/local/proxy-cpu.js [seconds] [rounds]
 */
import { execFile, spawn } from "node:child_process";
import type { AddressInfo } from "node:net";
import { ReverseProxy } from "../../src/providers/local/proxy.js";
import { hasProgram, machine, median } from "./common.js";

const seconds = Number(process.argv[2] ?? 3);
const rounds = Number(process.argv[3] ?? 5);
if (!hasProgram("wrk")) throw new Error("this benchmark needs wrk: apt-get install -y wrk");

const appCode = `require("http").createServer((q, s) => s.end('{"version":"v1"}'))
  .listen(0, "127.0.0.1", function () { console.log(this.address().port); });`;
const app = spawn(process.execPath, ["-e", appCode], { stdio: ["ignore", "pipe", "inherit"] });
const appPort = Number(
  await new Promise<string>((resolve) => app.stdout.once("data", (d: Buffer) => resolve(String(d)))),
);
const proxy = new ReverseProxy("blue");
proxy.setUpstream("blue", appPort);
await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}/version`;

/** wrk runs in its own process (async: this process must keep serving); resolves with the requests it made. */
function wrk(): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile("wrk", ["-t1", "-c32", `-d${seconds}s`, url], (err, out) => {
      if (err) return reject(err);
      resolve(Number(/(\d+) requests in/.exec(out)?.[1]));
    });
  });
}

console.log(`machine: ${machine()}; wrk -t1 -c32 -d${seconds}s, ${rounds} rounds`);
const perRequest: number[] = [];
try {
  for (let r = 0; r < rounds; r++) {
    const before = process.cpuUsage();
    const requests = await wrk();
    const used = process.cpuUsage(before);
    perRequest.push((used.user + used.system) / requests);
  }
} finally {
  await proxy.close();
  app.kill();
}
const shown = perRequest.map((us) => us.toFixed(0)).join(", ");
console.log(`proxy CPU per request: median ${median(perRequest.slice(1)).toFixed(0)} µs (rounds: ${shown})`);

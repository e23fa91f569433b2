/**
 * Benchmark: throughput of the app reached directly, through the local
 * proxy, through nginx (a private instance), and through a bare TCP relay
 * (Node, no HTTP at all: the ceiling for any proxy on this machine) in front
 * of the same app process. Uses wrk when installed (apt-get install wrk), else the node load
 * generator. Rounds are interleaved and the median is reported, because the
 * machine is shared.
 *   npm run build:bench && node dist/bench/local/throughput.js [seconds] [rounds]
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { LoadGenerator, percentile } from "./loadgen.js";
import { freeLoopbackPort, startNginx } from "./nginx-fixture.js";
import { hasProgram, machine, median, withLocalEnvironment } from "./common.js";

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 3);
const connections = 32;
const useWrk = hasProgram("wrk");

interface Measure {
  rps: number;
  p99: number;
}

async function measure(url: string): Promise<Measure> {
  if (useWrk) {
    const out = execFileSync("wrk", ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", url], {
      encoding: "utf8",
    });
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
    const p99m = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
    const p99 = p99m ? Number(p99m[1]) * (p99m[2] === "us" ? 0.001 : p99m[2] === "s" ? 1000 : 1) : NaN;
    return { rps, p99 };
  }
  const u = new URL(url);
  const gen = new LoadGenerator({
    url: u.origin,
    readPath: u.pathname + u.search,
    keepAliveWorkers: connections,
    freshWorkers: 0,
    writeRatio: 0,
    maxRequests: 10_000_000,
    maxDurationMs: seconds * 1000,
  });
  const report = await gen.start().finished();
  return { rps: report.requestsPerSecond, p99: percentile(report.samples, 99) };
}

/** A byte relay in its own process (this one blocks while wrk runs): one upstream connection per client connection. */
async function startRelay(upstreamPort: number): Promise<{ url: string; child: ChildProcess }> {
  const port = await freeLoopbackPort();
  const code =
    `const net=require("net");net.createServer({noDelay:true},c=>{const ` +
    `u=net.connect({port:${upstreamPort}` +
    `,host:"127.0.0.1",noDelay:true});c.pipe(u);u.pipe(c);c.on("error",()=>u.destroy());u.on("error",()=>c.destroy())}).listen(` +
    `${port},"127.0.0.1",()=>console.log("up"))`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve) => child.stdout!.once("data", resolve));
  return { url: `http://127.0.0.1:${port}`, child };
}

await withLocalEnvironment(async (status, stateDir) => {
  console.log(
    `machine: ${machine()}; load generator: ` +
      `${useWrk ? `wrk -t1 -c${connections} -d${seconds}s` : `node loadgen, ${connections} keep-alive connections, ${seconds} s`}` +
      `; ${rounds} interleaved rounds, median`,
  );
  const direct = status.slots.blue.url;
  const nginxDir = path.join(stateDir, "nginx");
  fs.mkdirSync(nginxDir);
  const nginx = await startNginx(nginxDir, [`127.0.0.1:${status.slots.blue.port}`], "blue");
  const relay = await startRelay(status.slots.blue.port);
  try {
    for (const p of ["/version", "/orders?limit=5"]) {
      const targets = {
        direct,
        "local proxy": status.publicUrl,
        nginx: nginx.publicUrl,
        "tcp relay (ceiling)": relay.url,
      };
      const results: Record<string, Measure[]> = Object.fromEntries(Object.keys(targets).map((name) => [name, []]));
      for (let r = 0; r < rounds; r++)
        for (const [name, base] of Object.entries(targets)) results[name]!.push(await measure(`${base}${p}`));
      const rps = (name: string) => median(results[name]!.map((m) => m.rps));
      const p99 = (name: string) => median(results[name]!.map((m) => m.p99));
      console.log(`\nGET ${p}`);
      console.log(`| target | requests/s (median) | p99 latency | vs direct |`);
      console.log(`|---|---|---|---|`);
      for (const name of Object.keys(targets))
        console.log(
          `| ${name} | ${rps(name).toFixed(0)} | ${p99(name).toFixed(2)} ms | ` +
            `${(rps(name) / rps("direct")).toFixed(2)}× |`,
        );
      console.log(`local proxy vs nginx: ${(rps("local proxy") / rps("nginx")).toFixed(2)}×`);
    }
  } finally {
    relay.child.kill();
    nginx.stop();
  }
});

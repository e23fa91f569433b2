/**
 * nginx.swap against a real nginx (Debian's package) with traffic: the swap
 * and its undo drop no request; a configuration nginx refuses leaves the
 * previous file in place.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nginxSwap } from "../../src/actions/nginx-swap.js";
import type { Json } from "../../src/core/json.js";
import { nginxProvider } from "../../src/providers/nginx/index.js";
import { LoadGenerator } from "../../bench/local/loadgen.js";
import { startNginx, type NginxFixture } from "../../bench/local/nginx-fixture.js";
import { makeContext, runActionParsed, undoAction, undoParsedAction, type EnvEntry } from "../support/context.js";
import { tempDir } from "./env.js";

const dir = tempDir("nginx");
const upstreams: http.Server[] = [];
let nginx: NginxFixture;
let blue: string;
let green: string;

/** A small upstream app: reads answer its version, writes are accepted. */
async function upstream(version: string): Promise<string> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const body = JSON.stringify({ version });
      res.writeHead(req.method === "POST" ? 201 : 200, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      });
      res.end(body);
    });
  });
  // Longer than nginx's upstream keepalive_timeout (60 s): nginx closes idle connections first.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  upstreams.push(server);
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function environment(extra: Record<string, unknown> = {}): Record<string, EnvEntry> {
  return {
    lb: {
      def: nginxProvider as EnvEntry["def"],
      config: {
        provider: "nginx",
        upstreamFile: nginx.upstreamFile,
        slots: { blue: [blue], green: [green] },
        publicUrl: nginx.publicUrl,
        test: [...nginx.argv, "-t", "-q"],
        reload: [...nginx.argv, "-s", "reload"],
        ...extra,
      },
    },
  };
}

beforeAll(async () => {
  blue = await upstream("v1");
  green = await upstream("v2");
  nginx = await startNginx(dir, [blue], "blue");
});
afterAll(async () => {
  nginx?.stop();
  for (const s of upstreams) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("nginx.swap", () => {
  it("switches the upstream under load, and back on undo, with zero failed requests", async () => {
    // nginx's graceful reload closes idle keep-alive connections of its old workers; a request
    // racing that close never reaches nginx, and clients send it again (retryIdleReset), as browsers do.
    const load = new LoadGenerator({
      url: nginx.publicUrl,
      keepAliveWorkers: 4,
      freshWorkers: 2,
      writeRatio: 0.2,
      readPath: "/",
      writePath: "/",
      maxRequests: 100_000,
      maxDurationMs: 20_000,
      retryIdleReset: true,
    }).start();
    await sleep(300);
    const { ctx } = makeContext({ stateDir: dir, baseDir: dir, environment: environment() });
    const { input, result } = await runActionParsed(
      nginxSwap,
      { to: "green", verify: { path: "/", bodyContains: "v2" } },
      ctx,
    );
    expect(result.outputs).toEqual({ live: "green", previous: "blue" });
    expect(fs.readFileSync(nginx.upstreamFile, "utf8")).toContain(`server ${green};`);
    await sleep(400);
    await undoParsedAction(nginxSwap, input, result.recorded as Json, ctx);
    expect(fs.readFileSync(nginx.upstreamFile, "utf8")).toContain(`server ${blue};`);
    await sleep(400);
    const report = await load.stop();

    expect(report.total).toBeGreaterThan(50);
    expect(report.connectionErrors).toEqual([]);
    expect(report.failed).toEqual([]);
    const versions = report.samples.map((s) => s.version);
    expect(versions).toContain("v2");
    expect(versions[versions.length - 1]).toBe("v1");
  });

  it("is idempotent: a second swap to the same slot rewrites nothing", async () => {
    const { ctx } = makeContext({ stateDir: dir, baseDir: dir, environment: environment() });
    await runActionParsed(nginxSwap, { to: "green", verify: { bodyContains: "v2" } }, ctx);
    const written = fs.statSync(nginx.upstreamFile).mtimeMs;
    const { result } = await runActionParsed(nginxSwap, { to: "green", verify: { bodyContains: "v2" } }, ctx);
    expect(result.outputs).toEqual({ live: "green", previous: "green" });
    expect(fs.statSync(nginx.upstreamFile).mtimeMs).toBe(written);
    await runActionParsed(nginxSwap, { to: "blue", verify: { bodyContains: "v1" } }, ctx);
  });

  it("reloads by SIGHUP to the master when given its pid file", async () => {
    const { ctx } = makeContext({
      stateDir: dir,
      baseDir: dir,
      environment: environment({ pidFile: nginx.pidFile, reload: ["false"] }),
    });
    const { input, result } = await runActionParsed(nginxSwap, { to: "idle", verify: { bodyContains: "v2" } }, ctx);
    expect(result.outputs).toEqual({ live: "green", previous: "blue" });
    await undoParsedAction(nginxSwap, input, result.recorded as Json, ctx);
    expect(await (await fetch(nginx.publicUrl)).json()).toEqual({ version: "v1" });
  });

  it(
    "resumed after a crash between its write and its " + "success, still records and restores the file it replaced",
    async () => {
      const blueText = fs.readFileSync(nginx.upstreamFile, "utf8");
      const first = makeContext({ stateDir: dir, baseDir: dir, environment: environment() });
      await runActionParsed(nginxSwap, { to: "green", verify: { bodyContains: "v2" } }, first.ctx);
      // The journal never saw the success: the step runs again with its checkpoint.
      const again = makeContext({
        stateDir: dir,
        baseDir: dir,
        environment: environment(),
        priorCheckpoint: first.seen.checkpoints[0],
      });
      const { input, result } = await runActionParsed(
        nginxSwap,
        { to: "green", verify: { bodyContains: "v2" } },
        again.ctx,
      );
      expect(result.recorded).toEqual({ previous: "blue", previousText: blueText });
      await undoParsedAction(nginxSwap, input, result.recorded as Json, again.ctx);
      expect(fs.readFileSync(nginx.upstreamFile, "utf8")).toBe(blueText);
    },
  );

  it("aborted after a crash between its write and its success, puts back the file it checkpointed", async () => {
    const blueText = fs.readFileSync(nginx.upstreamFile, "utf8");
    const first = makeContext({ stateDir: dir, baseDir: dir, environment: environment() });
    await runActionParsed(nginxSwap, { to: "green", verify: { bodyContains: "v2" } }, first.ctx);
    expect(fs.readFileSync(nginx.upstreamFile, "utf8")).not.toBe(blueText);
    // The journal holds the checkpoint but not the success: abort undoes from the checkpoint.
    const withBlock = { to: "green", verify: { bodyContains: "v2" } };
    const abort = makeContext({ stateDir: dir, baseDir: dir, environment: environment() });
    await undoAction(nginxSwap, withBlock, { ...abort.ctx, recorded: null, lastCheckpoint: first.seen.checkpoints[0] });
    expect(fs.readFileSync(nginx.upstreamFile, "utf8")).toBe(blueText);
    expect(await (await fetch(nginx.publicUrl)).json()).toEqual({ version: "v1" });
    // Again (an abort resumed): the file is no longer the swap's, so nothing changes.
    await undoAction(nginxSwap, withBlock, { ...abort.ctx, recorded: null, lastCheckpoint: first.seen.checkpoints[0] });
    expect(abort.seen.lines.join("\n")).toMatch(/nothing to undo/);
    expect(fs.readFileSync(nginx.upstreamFile, "utf8")).toBe(blueText);
  });

  it("keeps the previous file when nginx -t refuses the new one", async () => {
    const before = fs.readFileSync(nginx.upstreamFile, "utf8");
    const { ctx } = makeContext({
      stateDir: dir,
      baseDir: dir,
      environment: environment({ serverParams: "weight=0" }),
    });
    await expect(runActionParsed(nginxSwap, { to: "green" }, ctx)).rejects.toThrow(
      /nginx refused the new upstream file/,
    );
    expect(fs.readFileSync(nginx.upstreamFile, "utf8")).toBe(before);
    const res = await fetch(nginx.publicUrl);
    expect(await res.json()).toEqual({ version: "v1" });
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

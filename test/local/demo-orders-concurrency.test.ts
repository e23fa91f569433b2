/**
 * Around a swap both versions of the demo take orders on one SQLite database. v2's order reads the seats left,
 * then writes: run as a deferred transaction, the write fails at once with SQLITE_BUSY_SNAPSHOT whenever the other
 * process wrote since the read (a 500 for a user's order). Two real v2 processes, one database, orders to both.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../support/cli.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cutover-demo-orders-"));
const children: ChildProcess[] = [];

/** Start demo v2 on the shared database; resolves to its base URL once it says it listens. */
function startV2(): Promise<string> {
  const child = spawn(process.execPath, [path.join(ROOT, "demo/v2/server.js")], {
    env: { ...process.env, DEMO_DB: path.join(dir, "demo.sqlite"), PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += String(d)));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      const m = /listening on (127\.0\.0\.1:\d+)/.exec(String(d));
      if (m) resolve(`http://${m[1]}`);
    });
    child.once("exit", (code) => reject(new Error(`demo v2 exited (${code}): ${err}`)));
  });
}

let urls: string[] = [];
beforeAll(async () => {
  urls = [await startV2()]; // the first creates the schema
  urls.push(await startV2());
}, 30_000);

afterAll(() => {
  for (const c of children) c.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("demo v2 orders taken by two processes at once", () => {
  it("never fail with a server error: each is a sale or a clean 409 when the seats run out", async () => {
    const statuses: number[] = [];
    const order = async (url: string) => {
      const r = await fetch(`${url}/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ seatType: "general", quantity: 1, attendee: "load" }),
      });
      statuses.push(r.status);
      await r.arrayBuffer();
    };
    // 20 concurrent clients per process, 600 orders in all.
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        for (let k = 0; k < 15; k++) await order(urls[i % 2]!);
      }),
    );
    expect(statuses.length).toBe(600);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThan(0);
  }, 60_000);
});

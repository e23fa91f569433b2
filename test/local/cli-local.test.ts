/** `cutover local up | status | down` through the built binary. */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { destroyLocal, ensureBuilt, tempDir } from "./env.js";

const stateDir = tempDir("cli-local");

function cutover(...args: string[]) {
  const r = runCli(["--no-color", ...args], { stateDir });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

beforeAll(() => ensureBuilt());
afterAll(async () => {
  await destroyLocal(path.join(stateDir, "local"));
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe("cutover local", () => {
  it("up starts it, status says what serves where, down stops it", () => {
    const before = cutover("local", "status");
    expect(before.code).toBe(1);
    expect(before.out).toContain("is not running");

    const up = cutover("local", "up");
    expect(up.code).toBe(0);
    expect(up.out).toContain("local environment started");
    expect(up.out).toMatch(/http:\/\/127\.0\.0\.1:\d+ {2}serves v1 from blue/);

    const json = cutover("--output", "json", "local", "status");
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out) as {
      running: boolean;
      status: { live: string; slots: { blue: { version: string; health: string } } };
    };
    expect(report).toMatchObject({
      running: true,
      status: { live: "blue", slots: { blue: { version: "v1", health: "healthy" } } },
    });

    const down = cutover("local", "down");
    expect(down.code).toBe(0);
    expect(down.out).toContain("local environment stopped");
    const after = cutover("local", "status");
    expect(after.code).toBe(1);
    expect(after.out).toContain("last live slot: blue");
  });
});

/**
 * Which processes a flag write waits for, with real processes: the ones whose view of the flags it changed. A
 * write of `Name@blue` returns once blue's processes applied it, without waking or waiting for green's (which see
 * nothing new); a shared flag, or `Name@green`, waits for green's too. Each slot runs a worker that follows the
 * flags the way the demo's handlers do (demo/lib/flags.js), but applies each change slowly and notes it.
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalClient } from "../../src/providers/local/client.js";
import { demoSpec, localUp } from "../../src/providers/local/lifecycle.js";
import type { AppSpec } from "../../src/core/slots.js";
import { destroyLocal, ensureBuilt, tempDir } from "./env.js";
import { waitFor } from "../support/processes.js";

const root = tempDir("flag-waits");
const dir = path.join(root, "local");
const out = path.join(root, "out");
let client: LocalClient;

const flagsLib = pathToFileURL(path.resolve("demo/lib/flags.js")).href;

/** Follows the flags; each change takes 300 ms to apply, then `<slot>.<rev>` notes what it saw. */
const WORKER = `
import fs from "node:fs";
import { watchFlags } from ${JSON.stringify(flagsLib)};
const flags = watchFlags(process.env, {
  onChange: async (state) => {
    await new Promise((r) => setTimeout(r, 300));
    fs.writeFileSync(process.argv[2] + "/" + process.env.CUTOVER_SLOT + "." + state.rev, JSON.stringify(state.flags));
  },
});
process.on("SIGTERM", () => { flags.stop(); process.exit(0); });
`;

function spec(version: string): AppSpec {
  return {
    ...demoSpec(version),
    workers: [{ name: "follower", command: ["node", path.join(root, "follower.mjs"), out], stopTimeoutMs: 2000 }],
  };
}

/** The revisions `slot`'s follower has applied. */
const appliedBy = (slot: string) =>
  fs
    .readdirSync(out)
    .filter((f) => f.startsWith(`${slot}.`))
    .map((f) => Number(f.slice(slot.length + 1)));

beforeAll(async () => {
  ensureBuilt();
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(root, "follower.mjs"), WORKER);
  await localUp({ dir });
  client = new LocalClient({ dir });
  await client.deploy("green", spec("v2"));
  // Green's follower has polled and applied a change: from now on, writes that concern it wait for it.
  const warmup = Number(await client.set("Warmup", 1));
  await waitFor(() => (appliedBy("green").includes(warmup) ? true : undefined), 20_000);
}, 60_000);
afterAll(async () => {
  await destroyLocal(dir);
  fs.rmSync(root, { recursive: true, force: true });
});

describe("a flag write waits for the processes whose view it changed", () => {
  it("Name@blue: not for green's follower, which is not even woken", async () => {
    const etag = await client.set("ProcessorMaintenance@blue", true);
    const rev = Number(etag);
    expect(appliedBy("green")).not.toContain(rev);
    await new Promise((r) => setTimeout(r, 600)); // longer than a follower takes to apply a change
    expect(appliedBy("green")).not.toContain(rev);
  });

  it("Name@green, and a shared flag: green's follower has applied it when the write returns", async () => {
    const own = Number(await client.set("ProcessorMaintenance@green", true));
    expect(appliedBy("green")).toContain(own);
    const shared = Number(await client.set("MaintenanceMode", false));
    expect(appliedBy("green")).toContain(shared);
    const view = JSON.parse(fs.readFileSync(path.join(out, `green.${shared}`), "utf8")) as Record<string, unknown>;
    expect(view).toEqual({ Warmup: 1, ProcessorMaintenance: true, MaintenanceMode: false });
  });
});

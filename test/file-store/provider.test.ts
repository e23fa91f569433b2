import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunStore } from "../../src/core/run-store.js";
import type { FlagStore } from "../../src/core/flag-store.js";
import { FileStore, fileProvider } from "../../src/providers/file/index.js";
import { findProvider } from "../../src/providers/registry.js";
import { startedEvent } from "../store-contract.js";
import { tempDir } from "./helpers.js";

let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir: root, cleanup } = await tempDir());
});
afterEach(async () => {
  await cleanup();
});

function context(name = "state") {
  return {
    stateDir: path.join(root, "cwd", ".cutover"),
    baseDir: path.join(root, "playbooks"),
    name,
    secret: () => undefined,
  };
}

describe("provider: file", () => {
  it("is registered with the state and flags capabilities", () => {
    expect(findProvider("file")).toBe(fileProvider);
    expect(fileProvider.capabilities).toEqual(["state", "flags"]);
  });

  it("defaults to the CLI's state directory, flags.json inside it", async () => {
    const config = fileProvider.config.parse({});
    const store = (await fileProvider.create(config, context())) as FileStore;
    expect(store.dir).toBe(path.join(root, "cwd", ".cutover"));
    expect(store.flags.file).toBe(path.join(root, "cwd", ".cutover", "flags.json"));
  });

  it("resolves relative dir and flagsFile against the playbook's directory", async () => {
    const config = fileProvider.config.parse({ provider: "file", dir: "state", flagsFile: "../common/flags.json" });
    const store = (await fileProvider.create(config, context())) as FileStore;
    expect(store.dir).toBe(path.join(root, "playbooks", "state"));
    expect(store.flags.file).toBe(path.join(root, "common", "flags.json"));
  });

  it("rejects unknown fields (a typo must not silently fall back to the default)", () => {
    expect(fileProvider.config.safeParse({ dirr: "x" }).success).toBe(false);
  });

  it("serves as both RunStore and FlagStore from one client", async () => {
    const client = await fileProvider.create(fileProvider.config.parse({}), context());
    const runs: RunStore = client;
    const flags: FlagStore = client;
    await runs.append("r1", [startedEvent("prod")], 0);
    await flags.set("MaintenanceMode", true);
    expect((await runs.listRuns()).map((r) => r.runId)).toEqual(["r1"]);
    expect((await flags.get("MaintenanceMode")).value).toBe(true);
  });
});

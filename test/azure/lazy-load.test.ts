/**
 * The CLI must start without loading the Azure SDKs (~470 ms of a ~670 ms
 * start): every command, and the test suite, spawns it. Provider
 * definitions and the azure.* actions load SDK-free; a provider's create()
 * imports its SDK on demand.
 *
 * Checked in a child node on the built dist/ (node cannot run the
 * TypeScript sources; the suite runs after `npm run build`): an ESM resolve
 * hook (module.register) appends every resolved URL to a file, synchronously,
 * so the list is complete once the import has finished. The same child then
 * creates an azure-table provider, proving the hook does see the SDK load
 * and that create() still builds a working client.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logResolvedModules } from "../support/resolve-log.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dist = (p: string) => pathToFileURL(path.join(root, "dist", p)).href;
const AZURE = "/node_modules/@azure/";

// The emulator shorthand: constructing a client with it makes no request.
const DEV_CONNECTION_STRING = "UseDevelopmentStorage=true";

function childScript(log: string): string {
  return (
    `${logResolvedModules(log)}
import { readFileSync } from "node:fs";
const log = ${JSON.stringify(log)};
const marks = {};
const mark = (name) => { marks[name] = readFileSync(log, "utf8").split("\\n").filter(Boolean).length; };
await import(${JSON.stringify(dist("src/cli/program.js"))});
// The registries are what the CLI resolves playbooks through; import them even if the CLI ever loads them lazily.
await import(${JSON.stringify(dist("src/actions/registry.js"))});
const { findProvider } = await import(${JSON.stringify(dist("src/providers/registry.js"))});
for (const kind of ["azure-appservice", "azure-appconfig", "azure-table", "azure-queue"]) {
  const def = findProvider(kind);
  if (!def || def.capabilities.length === 0 || typeof def.config.safeParse !== "function") throw new Error("no ` +
    `usable definition for " + kind);
}
mark("startup");
const def = findProvider("azure-table");
const store = await def.create(def.config.parse({ connectionStringSecret: "CS" }), {
  stateDir: ".", baseDir: ".", name: "state", secret: (n) => (n === "CS" ? ${JSON.stringify(DEV_CONNECTION_STRING)} ` +
    `: undefined),
});
if (typeof store.append !== "function" || typeof store.acquireLease !== "function") throw new Error("azure-table ` +
    `create() did not return a run store");
await store.close();
mark("created");
console.log(JSON.stringify(marks));
`
  );
}

function runNode(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--input-type=module", "-e", script],
      { cwd: root, timeout: 30_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

describe("Azure SDKs load lazily", () => {
  let dir: string;
  let startup: string[];
  let afterCreate: string[];

  beforeAll(async () => {
    if (!existsSync(fileURLToPath(dist("src/cli/program.js"))))
      throw new Error("dist/ is missing: run `npm run build` before this test");
    dir = await mkdtemp(path.join(os.tmpdir(), "cutover-lazy-load-"));
    const log = path.join(dir, "resolved.txt");
    const out = await runNode(childScript(log));
    const marks = JSON.parse(out.trim().split("\n").pop() ?? "{}") as { startup: number; created: number };
    const urls = (await readFile(log, "utf8")).split("\n").filter(Boolean);
    startup = urls.slice(0, marks.startup);
    afterCreate = urls.slice(marks.startup, marks.created);
  }, 40_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("importing the CLI program and the registries loads no @azure/* module", () => {
    // the Azure providers are registered...
    expect(startup.some((u) => u.includes("/dist/src/providers/azure/"))).toBe(true);
    expect(startup.filter((u) => u.includes(AZURE))).toEqual([]); // ...without their SDKs
  });

  it("creating an azure-table provider loads its SDK on demand", () => {
    expect(afterCreate.some((u) => u.includes(`${AZURE}data-tables/`))).toBe(true);
    expect(afterCreate.some((u) => u.includes("/dist/src/providers/azure/table-connect.js"))).toBe(true);
  });
});

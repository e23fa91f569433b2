/**
 * `cutover local up --playbook`: the environment starts with the playbook's baseline (what blue runs
 * first), its directory and its port, not always the demo v1. Through the built binary.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCli } from "../support/cli.js";
import { destroyLocal, ensureBuilt, tempDir } from "./env.js";

const project = tempDir("local-baseline");
const stateDir = path.join(project, ".cutover");
const playbook = path.join(project, "release.yaml");

beforeAll(() => {
  ensureBuilt();
  fs.writeFileSync(
    playbook,
    `version: 1
name: baseline-v2
environment:
  state: { provider: file }
  app:
    provider: local
    dir: envdir
    baseline: { version: v2, command: ["node", ${JSON.stringify(path.join(ROOT, "demo/v2/server.js"))}] }
  other: { provider: local, dir: otherdir }
steps:
  - id: noop
    action: wait.duration
    with: { duration: 1ms }
`,
  );
});
afterAll(async () => {
  await destroyLocal(path.join(project, "paramdir"));
  await destroyLocal(path.join(project, "envdir"));
  await destroyLocal(path.join(project, "otherdir"));
  fs.rmSync(project, { recursive: true, force: true });
});

const cutover = (...args: string[]) => runCli(["--no-color", ...args], { stateDir });

describe("cutover local up --playbook", () => {
  it("asks which entry when the playbook has several local ones, and names them", () => {
    const r = cutover("local", "up", "--playbook", playbook);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/2 local environment entries \(app, other\): name one with --entry/);
    expect(fs.existsSync(path.join(project, "envdir", "state.json"))).toBe(false);
  });

  it("starts blue with the playbook's baseline, in the entry's dir", async () => {
    const r = cutover("--output", "json", "local", "up", "--playbook", playbook, "--entry", "app");
    expect(r.code).toBe(0);
    const up = JSON.parse(r.stdout) as {
      status: { publicUrl: string; dir: string; slots: { blue: { version: string } } };
    };
    expect(up.status.dir).toBe(path.join(project, "envdir"));
    expect(up.status.slots.blue.version).toBe("v2");
    const version = (await (await fetch(`${up.status.publicUrl}/version`)).json()) as { version: string };
    expect(version.version).toBe("v2");
  });

  it("refuses --dir with --playbook", () => {
    const r = cutover("local", "up", "--playbook", playbook, "--entry", "app", "--dir", project);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give --dir or --playbook, not both/);
  });
});

describe("cutover local up --playbook with params", () => {
  it("resolves the entry's ${{ params.x }} as a run would (-p, else the default)", async () => {
    const file = path.join(project, "params.yaml");
    fs.writeFileSync(
      file,
      `version: 1
name: baseline-params
params:
  label: { type: string, default: v-default }
  dir: { type: string, default: paramdir }
environment:
  state: { provider: file }
  app:
    provider: local
    dir: \${{ params.dir }}
    baseline:
      version: "\${{ params.label }}"
      command: ["node", ${JSON.stringify(path.join(ROOT, "demo/v2/server.js"))}]
steps:
  - id: noop
    action: wait.duration
    with: { duration: 1ms }
`,
    );
    const r = runCli(["--no-color", "--output", "json", "local", "up", "--playbook", file, "-p", "label=v-given"], {
      stateDir,
    });
    expect(r.code, r.stderr).toBe(0);
    const up = JSON.parse(r.stdout) as { status: { dir: string; slots: { blue: { version: string } } } };
    expect(up.status.dir).toBe(path.join(project, "paramdir"));
    expect(up.status.slots.blue.version).toBe("v-given");
  });
});

/**
 * The npm package works as a user gets it: `npm pack` of this checkout, installed into an empty folder
 * (dependencies from npm's cache when it has them, else the registry), runs `npx cutover --version`, the library
 * import and the demo release from there; and the commands the demo prints work as typed in a plain shell.
 *
 * Slow by nature (npm installs ~600 packages): one install, several checks. better-sqlite3's native addon comes
 * through prebuild-install's `local-prebuilds` option from the checkout's own build of the same version, which is
 * what its download from GitHub would give (this machine may not reach GitHub; compiling SQLite takes minutes).
 * A different version resolved for the package is compiled as usual.
 */
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, requireBuilt } from "../support/cli.js";

const INSTALL_TIMEOUT_MS = 20 * 60_000;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "cutover-pack-"));
const app = path.join(work, "app");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
let tarball: string;
let packed: string[];

/** A person's shell in `app`: no npm_* variables from the npm that runs this test, no cutover settings. */
function shellEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NO_COLOR: "1", CI: "true", ...extra };
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(npm_|CUTOVER_|INIT_CWD$|VITEST|NODE_OPTIONS$)/i.test(k)) env[k] = v;
  }
  // npm reaches the registry through this machine's TLS proxy, whose CA the host's bundle holds (test/support/host-env.ts).
  if (process.env.HOST_NODE_EXTRA_CA_CERTS) env.NODE_EXTRA_CA_CERTS = process.env.HOST_NODE_EXTRA_CA_CERTS;
  // What the shell's PATH holds: not the node_modules/.bin directories npm adds for scripts.
  env.PATH = (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((d) => !d.endsWith(`node_modules${path.sep}.bin`) && !d.includes(`${path.sep}npm-lifecycle`))
    .join(path.delimiter);
  return env;
}

interface Ran {
  code: number | null;
  out: string;
}

/** Run a command line in a shell in `app`, as typed. */
function sh(line: string, timeout = 120_000, env = shellEnv()): Promise<Ran> {
  return new Promise((resolve) => {
    execFile("sh", ["-c", `${line} 2>&1`], { cwd: app, env, timeout, maxBuffer: 16 << 20 }, (e, stdout) => {
      resolve({ code: e ? ((e as { code?: number }).code ?? null) : 0, out: stdout });
    });
  });
}

/** A directory with the checkout's better-sqlite3 addon as the prebuilt tarball prebuild-install looks for. */
function localPrebuilds(): string {
  const dir = path.join(work, "prebuilds");
  const pkgDir = path.join(ROOT, "node_modules", "better-sqlite3");
  const { version } = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")) as { version: string };
  const name =
    `better-sqlite3-v${version}-node-v${process.versions.modules}` + `-${process.platform}-${process.arch}.tar.gz`;
  fs.mkdirSync(dir);
  execFileSync("tar", ["-czf", path.join(dir, name), "-C", pkgDir, "build/Release/better_sqlite3.node"]);
  return dir;
}

beforeAll(async () => {
  requireBuilt();
  // The build is `npm test`'s first step (and `prepare`'s); --ignore-scripts packs it as it is.
  const json = execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], {
    cwd: ROOT,
    env: shellEnv(),
    encoding: "utf8",
  });
  const [info] = JSON.parse(json) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(work, info!.filename);
  packed = info!.files.map((f) => f.path);
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "uses-cutover", private: true }) + "\n");
  const install = await sh(
    `npm install --prefer-offline --no-audit --no-fund '${tarball}'`,
    INSTALL_TIMEOUT_MS,
    shellEnv({ npm_config_better_sqlite3_local_prebuilds: localPrebuilds() }),
  );
  if (install.code !== 0) throw new Error(`npm install of the packed tarball failed:\n${install.out}`);
}, INSTALL_TIMEOUT_MS + 60_000);

afterAll(async () => {
  // The demo leaves the local environment running in the background (by design); stop this test's one.
  if (fs.existsSync(path.join(app, ".cutover"))) await sh("npx cutover local down");
  fs.rmSync(work, { recursive: true, force: true });
}, 120_000);

describe("the packed package", () => {
  it("holds the built library and CLI, the demo and its migrations; no benchmarks, tests, sources or maps", () => {
    for (const f of [
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/src/cli/main.js",
      "dist/cli/cutover.js",
      "dist/src/providers/local/supervisor-main.js",
      "demo/v1/server.js",
      "demo/v2/server.js",
      "playbooks/local-demo.yaml",
      "examples/migrations/local-demo/0001_orders_status.migrate.sql",
      "README.md",
    ]) {
      expect(packed).toContain(f);
    }
    const strays = packed.filter((f) => /^(dist\/(bench|test)\/|src\/|test\/|bench\/)|\.map$|tsbuildinfo/.test(f));
    expect(strays).toEqual([]);
  });

  it("`npx cutover --version` runs the installed bin", async () => {
    const r = await sh("npx cutover --version");
    expect(r).toEqual({ code: 0, out: `${pkg.version}\n` });
  });

  it("imports as a library: the API functions and the contracts", async () => {
    const probe = [
      'const m = await import("cutover");',
      "console.log(JSON.stringify({ startRun: typeof m.startRun, listRuns: typeof m.listRuns,",
      '  error: new m.CutoverError(m.ErrorCode.Usage, "x").code, flags: m.capabilities.Flags }));',
    ].join("\n");
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", probe], { cwd: app, env: shellEnv() });
    expect(JSON.parse(out.toString())).toEqual({
      startRun: "function",
      listRuns: "function",
      error: "USAGE",
      flags: "flags",
    });
  });

  it("runs the demo release from the installed package, and its closing hints work as typed", async () => {
    const run = await sh("npx cutover run node_modules/cutover/playbooks/local-demo.yaml", 600_000);
    expect(run.code, run.out).toBe(0);
    const m = /v2 serves from the (blue|green) slot at (http:\/\/127\.0\.0\.1:\d+) \(see: (.+?); stop it: (.+?)\)/.exec(
      run.out,
    );
    expect(m, run.out).not.toBeNull();
    const [, slot, url, statusHint, downHint] = m!;
    expect(await (await fetch(`${url}/version`)).json()).toMatchObject({ version: "v2", slot });

    // Typed in a shell that has no `cutover` on its PATH: each printed command must run.
    expect(statusHint).toBe("npx cutover local status");
    const status = await sh(statusHint!);
    expect(status.code, status.out).toBe(0);
    expect(status.out).toContain(`serves v2 from ${slot}`);
    expect(downHint).toBe("npx cutover local down");
  }, 660_000);
});

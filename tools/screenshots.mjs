#!/usr/bin/env node
// The screenshots in docs/web.md, taken of the real page: real runs made by the built CLI in a temporary project,
// `cutover serve` as a real process, Debian's headless Chromium through playwright-core (no browser download).
// Run after `npm run build`:  node tools/screenshots.mjs   (writes docs/images/web-runs.png, web-run-gate.png)
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const root = path.resolve(import.meta.dirname, "..");
const bin = path.join(root, "dist/cli/cutover.js");
const out = path.join(root, "docs/images");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cutover-shots-"));
const env = { ...process.env, NO_COLOR: "1", CI: "true", CUTOVER_STATE_DIR: "", CUTOVER_ACTOR: "maria" };
delete env.CUTOVER_STATE_DIR;

const release = (environment, gate) => `
version: 1
name: shop-release
environment:
  name: ${environment}
params:
  version: { type: string, required: true }
steps:
  - id: deploy-green
    action: exec
    with: { command: ["node", "-e", "setTimeout(() => console.log('deployed'), 400)"] }
  - id: warm-up
    action: exec
    with: { command: ["node", "-e", "setTimeout(() => console.log('warm'), 700)"] }
  - id: maintenance-on
    action: flag.set
    with: { name: MaintenanceMode, value: true }
  - id: smoke-test
    action: exec
    with: { command: ["node", "-e", "${gate === "fail" ? "console.error('GET /health: 503'); process.exit(1)" : "console.log('ok')"}"] }
  - id: swap-ok
    action: gate.approval
    with: { message: "green is warm and smoke-tested: swap it live?" }
  - id: swap
    action: flag.set
    with: { name: Live, value: green }
  - id: maintenance-off
    action: flag.set
    with: { name: MaintenanceMode, value: false }
`;

const cli = (args, ok) => {
  try {
    return execFileSync(process.execPath, [bin, ...args], { cwd: dir, env, encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    if (!ok.includes(e.status)) throw new Error(`cutover ${args.join(" ")}: exit ${e.status}\n${e.stderr}`);
    return e.stdout;
  }
};
const runIdOf = (stdout) => JSON.parse(stdout.split("\n").find((l) => l.includes('"run.started"'))).runId;

fs.writeFileSync(path.join(dir, "staging.yaml"), release("shop-staging"));
fs.writeFileSync(path.join(dir, "production.yaml"), release("shop-production"));
fs.writeFileSync(path.join(dir, "eu.yaml"), release("shop-eu", "fail"));
const paused = (file) => runIdOf(cli(["run", file, "-p", "version=2.4.1", "-o", "json"], [3]));
const staging = paused("staging.yaml");
cli(["approve", staging, "--note", "staging looks fine"], [0]);
const eu = paused("eu.yaml");
cli(["abort", eu, "--reason", "smoke test red: /health answers 503"], [0, 1]); // 0 once the abort exit code lands
const production = paused("production.yaml");

const serve = spawn(process.execPath, [bin, "serve", "--port", "0", "--as", "maria"], { cwd: dir, env });
let err = "";
const started = new Promise((resolve, reject) => {
  serve.stderr.on("data", (d) => {
    err += d;
    const m = /cutover serve: (\S+)[^]*?^token: (\S+)/m.exec(err);
    if (m) resolve({ url: m[1], token: m[2] });
  });
  serve.on("exit", () => reject(new Error(`cutover serve exited: ${err}`)));
});
const { url, token } = await started;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), "cutover-chromium-"));
const args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"];
args.push("--disable-background-networking", "--disable-component-update", "--disable-sync");
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args,
  viewport: { width: 1200, height: 640 },
  deviceScaleFactor: 1,
});
try {
  fs.mkdirSync(out, { recursive: true });
  const page = await browser.newPage();
  await page.goto(url);
  await page.locator(`a[href="/runs/${production}"]`).waitFor();
  await page.screenshot({ path: path.join(out, "web-runs.png"), fullPage: true });
  await page.setViewportSize({ width: 1200, height: 1000 });
  await page.goto(`${url}runs/${production}#token=${token}`);
  await page.locator("#acting").waitFor();
  await page.locator("#btn-approve:not([disabled])").waitFor();
  await page.fill("#note", "dashboards green, error rate flat");
  await page.screenshot({ path: path.join(out, "web-run-gate.png"), fullPage: true });
  console.log(`wrote ${path.join(out, "web-runs.png")} and web-run-gate.png`);
} finally {
  await browser.close();
  serve.kill("SIGTERM");
  fs.rmSync(profile, { recursive: true, force: true });
  fs.rmSync(dir, { recursive: true, force: true });
}

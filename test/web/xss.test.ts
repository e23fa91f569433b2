/**
 * Journal text is shown as text: a param value, a gate message and a step's error output holding markup appear
 * as the characters they are in headless Chromium, and no element or script of theirs reaches the page.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonLines, requireBuilt, runCli, tmpProject } from "../support/cli.js";
import { launchChromium, type Browser } from "../support/browser.js";
import { startServe, type Served } from "./serve-process.js";

const IMG = `<img src=x onerror="window.__xss='img'">`;
const SCRIPT = "<script>window.__xss='script'</script>";
const FAIL = `console.error(${JSON.stringify(`boom ${IMG}`)}); process.exit(3)`;
const playbook = `
version: 1
name: web-xss
params:
  release: { type: string, required: true }
steps:
  - id: gate
    action: gate.approval
    with: { message: ${JSON.stringify(`approve ${SCRIPT}?`)} }
  - id: broken
    action: exec
    with: { command: ["node", "-e", ${JSON.stringify(FAIL)}] }
`;

let browser: Browser;
let p: ReturnType<typeof tmpProject>;
let served: Served;
let runId: string;
beforeAll(async () => {
  requireBuilt();
  p = tmpProject({ "xss.yaml": playbook });
  const r = runCli(["run", "xss.yaml", "-p", `release=${IMG}`, "-o", "json"], { cwd: p.dir });
  expect(r.code, r.stderr).toBe(3); // paused at the gate
  runId = jsonLines(r.stdout).find((e) => e.type === "run.started")!.runId as string;
  const approved = runCli(["approve", runId, "--note", `ok ${SCRIPT}`], { cwd: p.dir });
  expect(approved.code, approved.stderr).toBe(3); // paused at the failed step
  served = await startServe(p.dir);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  expect(await served?.stop()).toBe(0);
  p?.cleanup();
});

describe("the page escapes journal text", () => {
  it("shows markup from params, messages and step output as text, and runs none of it", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${served.url}runs/${runId}`);
    await page.locator('tr[data-step="broken"] .err').waitFor();
    expect(await page.locator("#params").textContent()).toContain(`release=${JSON.stringify(IMG)}`);
    expect(await page.locator('tr[data-step="broken"] .err').textContent()).toContain(`boom ${IMG}`);
    expect(await page.locator("#timeline").textContent()).toContain(`approve ${SCRIPT}?`);
    expect(await page.locator("#timeline").textContent()).toContain(`gate approved: ok ${SCRIPT}`);
    // None of it became an element, and nothing it carries ran.
    expect(await page.locator("main img, main script, main [onerror]").count()).toBe(0);
    expect(await page.evaluate("window.__xss")).toBeUndefined();
    await page.close();
  });
});

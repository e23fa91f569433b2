/**
 * The web page end to end: a real run paused by the built CLI, `cutover serve` as a real process, and a person's
 * clicks in headless Chromium. The run's journal (through `cutover status`) says what happened.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { jsonLines, requireBuilt, runCli, tmpProject } from "../support/cli.js";
import { launchChromium, type Browser } from "../support/browser.js";
import { startServe, type Served } from "./serve-process.js";

const gated = `
version: 1
name: web-gate
steps:
  - id: maintenance-on
    action: flag.set
    with: { name: MaintenanceMode, value: true }
  - id: swap-ok
    action: gate.approval
    with: { message: "swap green in?" }
  - id: done
    action: exec
    with: { command: ["node", "-e", "console.log('released')"] }
`;

const failing = `
version: 1
name: web-fail
steps:
  - id: maintenance-on
    action: flag.set
    with: { name: MaintenanceMode, value: true }
  - id: smoke
    action: exec
    with: { command: ["node", "-e", "console.error('smoke test failed'); process.exit(1)"] }
`;

interface Status {
  state: {
    status: string;
    pause?: { stepId?: string };
    steps: Record<string, { status: string; approvedBy?: { user: string } }>;
    abortRequested?: { by: { user: string }; reason?: string };
  };
}

const statusOf = (dir: string, runId: string) =>
  jsonLines(runCli(["status", runId, "-o", "json"], { cwd: dir }).stdout)[0] as unknown as Status;

/** Start `playbook` with the built CLI until it pauses (exit 3); its run id. */
function pausedRun(dir: string, file: string): string {
  const r = runCli(["run", file, "-o", "json"], { cwd: dir });
  expect(r.code, r.stderr).toBe(3);
  return jsonLines(r.stdout).find((e) => e.type === "run.started")!.runId as string;
}

let browser: Browser;
beforeAll(async () => {
  requireBuilt();
  browser = await launchChromium();
});
afterAll(async () => browser?.close());

describe("cutover serve in Chromium", () => {
  let p: ReturnType<typeof tmpProject>;
  let served: Served | undefined;
  afterEach(async () => {
    if (served) expect(await served.stop()).toBe(0);
    served = undefined;
    p.cleanup();
  });

  it("shows the run waiting at its gate; approve with the token finishes the run", async () => {
    p = tmpProject({ "gate.yaml": gated });
    const runId = pausedRun(p.dir, "gate.yaml");
    served = await startServe(p.dir, ["--as", "oncall"]);
    const page = await browser.context.newPage();
    await page.goto(served.url);
    // The list of runs per environment links to the run.
    await page.locator(`a[href="/runs/${runId}"]`).click();
    await expect
      .poll(() => page.locator("#pause").textContent())
      .toContain("Waiting for approval. swap-ok waits for approval: swap green in?");
    // What the run changed so far, as the journal says it.
    expect(await page.locator('tr[data-step="maintenance-on"] .effect').textContent()).toBe(
      "MaintenanceMode (absent) → true",
    );
    // Without the token the buttons cannot be used.
    expect(await page.locator("#btn-approve").isDisabled()).toBe(true);
    await page.fill("#token-input", served.token);
    await page.click("#token-use");
    await page.locator("#acting").waitFor();
    expect(await page.locator("#acting").textContent()).toBe("acting as web:oncall");
    // The token lives in this tab's sessionStorage, not in the address or a cookie.
    expect(await page.evaluate(`sessionStorage.getItem("cutover-token")`)).toBe(served.token);
    expect((await browser.context.cookies()).length).toBe(0);
    await page.fill("#note", "checked the dashboards");
    await page.click("#btn-approve");
    // The run continues in the serve process; the page says so and follows it to the end.
    await expect.poll(() => page.locator("#drive").textContent()).toContain("web:oncall chose approve");
    await expect.poll(() => page.locator("h1 .badge").first().textContent(), { timeout: 30_000 }).toBe("succeeded");
    expect(await page.locator('tr[data-step="done"] .badge').textContent()).toBe("succeeded");
    const st = statusOf(p.dir, runId);
    expect(st.state.status).toBe("succeeded");
    expect(st.state.steps["swap-ok"]!.approvedBy!.user).toBe("web:oncall");
    expect(served.proc.stderr()).toContain(`web:oncall approve swap-ok on run ${runId}`);
    await page.close();
  });

  it("abort on a failed run needs a reason, then undoes what the run changed", async () => {
    p = tmpProject({ "fail.yaml": failing });
    const runId = pausedRun(p.dir, "fail.yaml");
    served = await startServe(p.dir, ["--as", "oncall"]);
    const page = await browser.context.newPage();
    await page.goto(`${served.url}runs/${runId}#token=${served.token}`);
    // The fragment is read once and leaves the address bar.
    await expect.poll(() => page.locator("#acting").count()).toBe(1);
    expect(page.url()).not.toContain(served.token);
    await expect.poll(() => page.locator('tr[data-step="smoke"] .badge').textContent()).toBe("failed");
    expect(await page.locator("#abort-preview").textContent()).toContain("maintenance-on");
    await page.click("#btn-abort");
    expect(await page.locator("#message").textContent()).toContain("abort needs a reason");
    expect(statusOf(p.dir, runId).state.status).toBe("paused");
    await page.fill("#note", "smoke test red after deploy");
    await page.click("#btn-abort");
    await expect.poll(() => page.locator("h1 .badge").first().textContent(), { timeout: 30_000 }).toBe("aborted");
    const st = statusOf(p.dir, runId);
    expect(st.state.status).toBe("aborted");
    expect(st.state.abortRequested).toMatchObject({
      by: { user: "web:oncall" },
      reason: "smoke test red after deploy",
    });
    expect(st.state.steps["maintenance-on"]).toMatchObject({ undo: { status: "succeeded" } });
    // The undo really ran: MaintenanceMode is back to what it was (absent).
    const flags = JSON.parse(fs.readFileSync(path.join(p.dir, ".cutover", "flags.json"), "utf8")) as {
      flags: Record<string, unknown>;
    };
    expect(flags.flags.MaintenanceMode).toBeUndefined();
    await page.close();
  });

  it("a run that moved on elsewhere refuses the click and the page says why", async () => {
    p = tmpProject({ "gate.yaml": gated });
    const runId = pausedRun(p.dir, "gate.yaml");
    served = await startServe(p.dir);
    const page = await browser.context.newPage();
    await page.goto(`${served.url}runs/${runId}#token=${served.token}`);
    await page.locator("#btn-approve:not([disabled])").waitFor();
    // The page stops hearing about the run (its refreshes fail) while someone approves it from a terminal.
    await page.route(`**/api/runs/${runId}`, (route) => route.abort());
    expect(runCli(["approve", runId], { cwd: p.dir }).code).toBe(0);
    await page.click("#btn-approve");
    await page.locator("#message").waitFor();
    expect(await page.locator("#message").textContent()).toContain(`refused: run ${runId} has already finished`);
    expect(statusOf(p.dir, runId).state.status).toBe("succeeded");
    await page.close();
  });
});

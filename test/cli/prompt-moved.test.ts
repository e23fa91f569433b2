/**
 * A prompt left open in one terminal while the run is decided elsewhere: another cutover process approves or
 * aborts it (another terminal, a CI job). The prompt notices from the journal, says who did what and when, and
 * follows the run instead of waiting for an answer that would be refused. Screens are replayed in a real
 * terminal emulator (test/support/terminal.ts); the decisions are made by a second, real CLI process.
 */
import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import pc from "picocolors";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { readRun } from "../../src/api/inspect.js";
import type { CliIO } from "../../src/cli/io.js";
import { askDecision, followElsewhere, moveWatch } from "../../src/cli/prompt.js";
import type { Renderer } from "../../src/cli/render/renderer.js";
import type { RunEvent } from "../../src/engine/events.js";
import { BIN, requireBuilt, runCli, startCli, tmpProject } from "../support/cli.js";
import { requireExecutable } from "../support/system.js";
import { fakeTerminal, type FakeTerminal } from "../support/terminal.js";
import { FileStore } from "../../src/providers/file/index.js";

const playbook = `
version: 1
name: prompt-moved
environment:
  flags: { provider: file }
steps:
  - id: maint-on
    action: flag.set
    with: { name: MaintenanceMode, value: true }
  - id: approve-swap
    action: gate.approval
    with: { message: "Green looks healthy. Swap?" }
  - id: maint-off
    action: flag.set
    with: { name: MaintenanceMode, value: false }
`;

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));
beforeAll(() => requireBuilt());

/** A project with a run paused at its gate (run non-interactively: exit 3). */
function pausedRun(): { dir: string; stateDir: string; runId: string } {
  const project = tmpProject({ "playbook.yaml": playbook });
  cleanups.push(() => project.cleanup());
  const run = runCli(["run", "playbook.yaml"], { cwd: project.dir });
  expect(run.code, run.stderr).toBe(3);
  const runId = /run (r\d{8}-\d{6}-[0-9a-f]{6})/.exec(run.stdout + run.stderr)![1]!;
  return { dir: project.dir, stateDir: path.join(project.dir, ".cutover"), runId };
}

/** Poll `term` until its screen and scrollback hold `text` (the prompt writes asynchronously). */
async function seen(term: FakeTerminal, text: string | RegExp, timeoutMs = 30_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const all = (await term.lines()).join("\n");
    if (typeof text === "string" ? all.includes(text) : text.test(all)) return all;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the terminal never showed ${String(text)}:\n${(await term.lines()).join("\n")}`);
}

const at = String.raw`at \d\d:\d\d:\d\d UTC`;
/** The second process decides as alice (CUTOVER_ACTOR), on this host. */
const who = `alice@${os.hostname()}`.replace(/[.]/g, "\\.");
const asAlice = { env: { CUTOVER_ACTOR: "alice" } };

describe("a prompt open while another process decides", () => {
  it.each([
    ["approve", "was approved \\(approve-swap\\)", "it continues there, followed here", "succeeded"],
    ["abort", "was aborted", "the abort runs there, followed here", "aborted"],
  ])("%s from another terminal: the prompt says so and follows the run", async (verb, did, then, outcome) => {
    const { dir, stateDir, runId } = pausedRun();
    const term = fakeTerminal(200, 20); // wide: each line checked is one line
    cleanups.push(() => term.dispose());
    const io = { c: pc.createColors(false), stateDir } as CliIO;
    const { state } = await readRun(runId, { stateDir });
    const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input });
    const output = new PassThrough();
    output.on("data", (d: Buffer) => term.err.write(d.toString()));
    const answer = askDecision(io, state, { input, output }, moveWatch(io, state));
    await seen(term, "[a]pprove, abort (e[x]it with rollback), [l]eave it paused: ");

    const other = startCli([verb, runId], { cwd: dir, ...asAlice });
    expect((await other.done).code).toBe(0);
    expect(await answer).toBe("moved");
    const screen = await seen(term, runId);
    expect(screen).toMatch(
      new RegExp(`! run ${runId} ${did} by ${who} ${at} from another terminal \\(pid ${other.child.pid}\\); ${then}`),
    );

    const shown: RunEvent[] = [];
    const renderer = { event: (e: RunEvent) => shown.push(e) } as unknown as Renderer;
    const final = await followElsewhere(io, renderer, state, undefined);
    expect(final.status).toBe(outcome);
    expect(shown[0]!.seq).toBe(state.lastSeq + 1); // what the prompt's own terminal showed is not shown again
    expect(shown.at(-1)).toMatchObject({ type: "run.finished", outcome });
  });

  it("a webhook delivered for the pause is not the run moving: the prompt keeps waiting for the decision", async () => {
    const { dir, stateDir, runId } = pausedRun();
    const term = fakeTerminal(200, 20);
    cleanups.push(() => term.dispose());
    const io = { c: pc.createColors(false), stateDir } as CliIO;
    const { state } = await readRun(runId, { stateDir });
    // Journaled after the pause, as the notifier does once its webhook answered.
    await new FileStore({ dir: stateDir }).append(
      runId,
      [
        {
          type: "notify.sent",
          key: `${runId}:${state.lastSeq}:0`,
          target: 0,
          event: "gate-waiting",
          eventSeq: state.lastSeq,
          attempts: 1,
          status: 200,
        },
      ],
      state.lastSeq,
    );
    const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input });
    const output = new PassThrough();
    output.on("data", (d: Buffer) => term.err.write(d.toString()));
    const answer = askDecision(io, state, { input, output }, moveWatch(io, state));
    await seen(term, "[l]eave it paused: ");
    expect((await startCli(["approve", runId], { cwd: dir, ...asAlice }).done).code).toBe(0);
    expect(await answer).toBe("moved");
    const screen = await seen(term, runId);
    expect(screen).toMatch(new RegExp(`! run ${runId} was approved \\(approve-swap\\) by ${who}`));
    expect(screen).not.toContain("notify.sent");
  });

  it("the real CLI at a terminal: its gate prompt ends when a second CLI approves, and the run's result is shown", async () => {
    const script = requireExecutable("script", "bsdutils");
    const { dir, runId } = pausedRun();
    const term = fakeTerminal(200, 30);
    cleanups.push(() => term.dispose());
    // `cutover resume` on a pseudo-terminal (script(1)), so it asks at the gate as it would a person.
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", TERM: "xterm" };
    delete env.CI;
    delete env.CUTOVER_STATE_DIR;
    const child = spawn(
      script,
      ["-qfec", `stty cols 200 rows 30 && exec "${process.execPath}" "${BIN}" resume ${runId}`, "/dev/null"],
      { cwd: dir, env, stdio: ["pipe", "pipe", "pipe"] },
    );
    cleanups.push(() => child.kill("SIGKILL"));
    child.stdout.on("data", (d: Buffer) => term.out.write(d.toString().replace(/\r\n/g, "\n")));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    await seen(term, "[a]pprove, abort (e[x]it with rollback), [l]eave it paused:");

    const approve = startCli(["approve", runId], { cwd: dir, ...asAlice });
    expect((await approve.done).code).toBe(0);
    expect(await exited).toBe(0); // nobody answered: the run moved on and succeeded
    child.stdin.end();
    const screen = await seen(term, `✔ run ${runId} succeeded`);
    expect(screen).toMatch(
      new RegExp(`run ${runId} was approved \\(approve-swap\\) by ${who} ${at} from another terminal \\(pid \\d+\\)`),
    );
    expect(screen).toMatch(/✔ maint-off/);
  });
});

/**
 * The TTY task list as a person sees it: the renderer writes to a fake stdout/stderr
 * pair whose bytes a real terminal emulator replays (test/support/terminal.ts).
 */
import pc from "picocolors";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CliIO } from "../../src/cli/io.js";
import { TtyRenderer } from "../../src/cli/render/tty.js";
import { RunScript } from "../support/run-script.js";
import { fakeTerminal, type FakeTerminal } from "../support/terminal.js";

let term: FakeTerminal;
// The spinner redraws every 100 ms: tests move that clock by hand.
beforeEach(() => vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] }));
afterEach(() => {
  vi.useRealTimers();
  term.dispose();
});

/** A renderer on `term`; `io.write` goes there too (where the renderer before this fix wrote its redraws). */
function renderer(t: FakeTerminal): TtyRenderer {
  const cli = {
    json: false,
    verbose: false,
    tty: true,
    yes: false,
    stateDir: ".cutover",
    c: pc.createColors(false),
    out: (l: string) => t.out.write(l + "\n"),
    err: (l: string) => t.err.write(l + "\n"),
    write: (s: string) => t.out.write(s),
  } as CliIO;
  return new TtyRenderer(cli, { out: t.out, err: t.err });
}

/** A run of one, slow, three on `r`: one has succeeded, slow is running. */
function oneDoneSlowRunning(r: TtyRenderer): RunScript {
  const run = new RunScript(["one", "slow", "three"], (e, s) => r.event(e, s));
  run.begin();
  run.start("one");
  run.succeed("one");
  run.start("slow");
  return run;
}

const steps = (n: number) => Array.from({ length: n }, (_, i) => `step-${String(i).padStart(2, "0")}`);
const count = (lines: string[], re: RegExp) => lines.filter((l) => re.test(l)).length;

describe("TTY task list", () => {
  it("taller than the terminal: each finished step in the scrollback once, the live part fits the screen", async () => {
    term = fakeTerminal(60, 8);
    const r = renderer(term);
    const ids = steps(14);
    const run = new RunScript(ids, (e, s) => r.event(e, s));
    run.begin();
    for (const id of ids) {
      run.start(id);
      r.log(id, "info", `working on ${id}`);
      r.log(id, "progress", "half way", 0.5);
      vi.advanceTimersByTime(100);
      expect((await term.screen()).length, "the live list never outgrows the screen").toBeLessThanOrEqual(8);
      expect(await term.screen()).toContain(`    50% half way`);
      run.succeed(id);
    }
    run.next({ type: "run.finished", outcome: "succeeded" });
    r.close(run.state);
    const all = await term.lines();
    for (const id of ids) expect(count(all, new RegExp(`^✔ ${id} `)), `${id} in the scrollback`).toBe(1);
    expect(all.filter((l) => l.startsWith("✔ ")).map((l) => l.split(" ")[1])).toEqual(ids);
    expect(count(all, /^○ |^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] |half way|more$/), "no leftovers of the live list").toBe(0);
  });

  it("while running, a list taller than the screen shows the running step and how many more wait", async () => {
    term = fakeTerminal(60, 6);
    const r = renderer(term);
    const run = new RunScript(steps(20), (e, s) => r.event(e, s));
    run.begin();
    run.start("step-00");
    const screen = await term.screen();
    expect(screen.length).toBeLessThanOrEqual(6);
    expect(screen.some((l) => /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] step-00/.test(l))).toBe(true);
    expect(screen.at(-1)).toMatch(/^… and \d+ more$/);
    r.close(run.state);
  });

  it("resume: a line on stderr between redraws does not leave the first step drawn twice", async () => {
    term = fakeTerminal(80, 20);
    const first = renderer(term);
    const run = oneDoneSlowRunning(first);
    run.next({ type: "run.interrupted", signal: "SIGKILL" });
    first.close(run.state);
    term.out.write("$ cutover resume\n");

    const second = renderer(term);
    run.listener = (e, s) => second.event(e, s);
    run.next({
      type: "lease.forced",
      environment: "staging",
      by: run.by,
      previousHolder: "ops@vm pid 1 (process gone)",
    });
    term.err.write(`resuming run ${run.runId} (interrupted)\n`); // resume.ts prints this on stderr
    run.next({ type: "run.resumed", by: run.by });
    run.start("slow", 2);
    run.succeed("slow", 2);
    run.start("three");
    run.succeed("three");
    run.next({ type: "run.finished", outcome: "succeeded" });
    second.close(run.state);
    const after = (await term.lines()).slice((await term.lines()).indexOf("$ cutover resume") + 1);
    expect(count(after, /^✔ one /)).toBe(1);
    expect(count(after, /^✔ slow /)).toBe(1);
    expect(count(after, /^✔ three /)).toBe(1);
    expect(after).toContain(`resuming run ${run.runId} (interrupted)`);
  });

  it("the interrupt notice has its own mark, also after the terminal echoed ^C", async () => {
    term = fakeTerminal(100, 20);
    const r = renderer(term);
    const run = oneDoneSlowRunning(r);
    term.echo("^C"); // the tty echoes Ctrl-C where the cursor is, under the list
    r.notice("SIGINT: finishing the current step, then stopping (send it again to cancel the step)");
    run.succeed("slow");
    run.next({ type: "run.interrupted", signal: "SIGINT" });
    r.close(run.state);
    const all = await term.lines();
    const notice = all.find((l) => l.includes("SIGINT: finishing"));
    expect(notice).toMatch(/^■ SIGINT: finishing/);
    expect(count(all, /✔ .*SIGINT|\^C/)).toBe(0);
    expect(count(all, /^✔ one /)).toBe(1);
  });

  it("a step's log line with newlines and long ids stay one screen line each", async () => {
    term = fakeTerminal(40, 10);
    const r = renderer(term);
    const long = `deploy-${"x".repeat(60)}`;
    const run = new RunScript([long, "next"], (e, s) => r.event(e, s));
    run.begin();
    run.start(long);
    for (let i = 0; i < 5; i++) {
      r.log(long, "info", `line ${i}\nsecond half\r\x1b[2Jcleared? ${"y".repeat(80)}`);
      vi.advanceTimersByTime(100);
    }
    r.close(run.state);
    const all = await term.lines();
    const list = all.slice(all.findIndex((l) => l.startsWith("run ")) + 1);
    expect(
      list.every((l) => l.length < 40),
      list.join("\n"),
    ).toBe(true);
    expect(count(all, /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] deploy-x/)).toBe(1);
    expect(count(all, /line 4 second half/)).toBe(1);
    expect(count(all, /line [0-3]/)).toBe(0);
  });
});

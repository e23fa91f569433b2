/** The pause prompt on fake stdin/stderr: what it offers, what it accepts, and EOF / Ctrl-C. */
import { PassThrough } from "node:stream";
import pc from "picocolors";
import { describe, expect, it } from "vitest";
import type { CliIO } from "../../src/cli/io.js";
import { askDecision, type Choice } from "../../src/cli/prompt.js";
import type { RunState } from "../../src/engine/reducer.js";
import { RunScript } from "../support/run-script.js";

const io = { c: pc.createColors(false) } as CliIO;

function pausedOnFailure(): RunState {
  const run = new RunScript(["deploy", "swap"]);
  run.start("deploy");
  const error = { code: "ACTION_FAILED", message: "exit 1" };
  run.next({ type: "step.failed", stepId: "deploy", attempt: 1, error, durationMs: 5 });
  run.next({ type: "run.paused", reason: "failure", stepId: "deploy", message: "deploy failed: exit 1" });
  return run.state;
}

function pausedAtGate(): RunState {
  const run = new RunScript(["approve-swap"]);
  run.start("approve-swap");
  run.next({ type: "run.paused", reason: "approval", stepId: "approve-swap", message: "Green looks healthy. Swap?" });
  return run.state;
}

/** A terminal-less person: lines typed into stdin; everything the prompt wrote. */
function ask(state: RunState, tty = false) {
  const input = Object.assign(new PassThrough(), tty ? { isTTY: true, setRawMode: () => input } : {});
  const output = new PassThrough();
  let shown = "";
  output.on("data", (d: Buffer) => (shown += d.toString()));
  const answer: Promise<Choice> = askDecision(io, state, { input, output });
  return { input, answer, shown: () => shown };
}

describe("pause prompt", () => {
  it("after a failure offers retry, skip, abort and leave, and takes the letter or the word", async () => {
    const a = ask(pausedOnFailure());
    a.input.write("s\n");
    expect(await a.answer).toBe("skip");
    expect(a.shown()).toContain("deploy failed: exit 1");
    expect(a.shown()).toMatch(/\[r\]etry, \[s\]kip, abort \(e\[x\]it with rollback\), \[l\]eave it paused/);
    const b = ask(pausedOnFailure());
    b.input.write("Retry\n");
    expect(await b.answer).toBe("retry");
  });

  it("at a gate offers approve, abort and leave", async () => {
    const a = ask(pausedAtGate());
    a.input.write("a\n");
    expect(await a.answer).toBe("approve");
    expect(a.shown()).toMatch(/\[a\]pprove, abort \(e\[x\]it with rollback\), \[l\]eave it paused/);
  });

  it("refuses an answer that is not offered and asks again", async () => {
    const a = ask(pausedOnFailure());
    a.input.write("rubbish\n");
    a.input.write("a\n"); // approve is not offered after a failure
    a.input.write("x\n");
    expect(await a.answer).toBe("abort");
    expect(a.shown()).toContain(`"rubbish" is not one of r, s, x, l`);
    expect(a.shown()).toContain(`"a" is not one of r, s, x, l`);
  });

  it("during an abort, r retries the failed undo", async () => {
    const run = new RunScript(["deploy"]);
    run.next({ type: "abort.requested", by: run.by });
    run.next({ type: "run.paused", reason: "failure", stepId: "deploy", message: "undo of deploy failed" });
    const a = ask(run.state);
    a.input.write("retry\n");
    expect(await a.answer).toBe("abort");
    expect(a.shown()).toMatch(/\[r\]etry the undo, \[s\]kip, \[l\]eave it paused/);
  });

  const leaving: [string, (input: PassThrough) => void, boolean][] = [
    ["end of input", (input) => input.end(), false],
    ["end of input after an invalid answer", (input) => input.end("maybe\n"), false],
    ["Ctrl-C at a terminal", (input) => input.write("\x03"), true],
    ["Enter alone", (input) => input.write("\n"), false],
  ];
  it.each(leaving)("%s leaves the run paused", async (_, type, tty) => {
    const a = ask(pausedOnFailure(), tty);
    type(a.input);
    expect(await a.answer).toBe("leave");
  });
});

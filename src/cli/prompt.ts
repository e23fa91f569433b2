/**
 * Guided failure at a terminal: when a run pauses and a person is there
 * (a TTY, no --yes, not CI), ask what to do instead of exiting 3. The
 * answer is recorded exactly like the `approve|retry|skip|abort` commands.
 * An answer is its letter or its word; anything else is refused and asked
 * again. Enter, Ctrl-C and end of input leave the run paused (exit 3).
 *
 * While it waits, the prompt watches the run's journal: when another process
 * decides first (approves, retries, skips, resumes or aborts the run from
 * another terminal, a CI job or the web page), the prompt says who did what
 * and when, and stops asking a question whose answer would be refused.
 */
import os from "node:os";
import { createInterface } from "node:readline/promises";
import type { RunEvent } from "../engine/events.js";
import type { RunState } from "../engine/reducer.js";
import type { CliIO } from "./io.js";
import { clock } from "./render/status-screen.js";
import type { Renderer } from "./render/renderer.js";
import { journalMoved, watchRun } from "../api/watch.js";

/** `moved`: the journal moved on while the question was open (another process decided); nothing was answered. */
export type Choice = Answer | "moved";
type Answer = "approve" | "retry" | "skip" | "abort" | "leave";

/** Resolves with the events appended after the pause once there are any (api/watch.ts journalMoved). */
export type MoveWatch = (signal: AbortSignal) => Promise<RunEvent[]>;

export interface PromptStreams {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
}

export function canPrompt(io: CliIO): boolean {
  return io.tty && !io.yes && Boolean(process.stdin.isTTY);
}

/** What can be answered at this pause: letter → choice, in the order offered. */
function optionsFor(s: RunState): [string, Answer][] {
  if (s.pause?.reason === "approval")
    return [
      ["a", "approve"],
      ["x", "abort"],
      ["l", "leave"],
    ];
  if (s.abortRequested)
    return [
      ["r", "abort"],
      ["s", "skip"],
      ["l", "leave"],
    ];
  return [
    ["r", "retry"],
    ["s", "skip"],
    ["x", "abort"],
    ["l", "leave"],
  ];
}

export async function askDecision(
  io: CliIO,
  s: RunState,
  streams: PromptStreams = { input: process.stdin, output: process.stderr },
  moved?: MoveWatch,
): Promise<Choice> {
  const options = optionsFor(s);
  const labels: Record<Answer, string> = {
    approve: "[a]pprove",
    retry: "[r]etry",
    skip: "[s]kip",
    abort: s.abortRequested ? "[r]etry the undo" : "abort (e[x]it with rollback)",
    leave: "[l]eave it paused",
  };
  // During an abort "r" retries the undo: its word is "retry", not "abort".
  const word = (choice: Answer) => (s.abortRequested && choice === "abort" ? "retry" : choice);
  const offered = options.map(([, c]) => labels[c]).join(", ");
  const question = `${io.c.yellow("?")} ${s.pause?.message ?? "paused"}\n  ${offered}: `;
  const rl = createInterface({ input: streams.input, output: streams.output, terminal: Boolean(streams.input.isTTY) });
  // Ctrl-C (a TTY in raw mode sends it as input) and end of input: nobody will answer, so leave it paused.
  rl.on("SIGINT", () => rl.close());
  rl.setPrompt(question);
  rl.prompt();
  const stopWatching = new AbortController();
  // A watch that fails (the store unreachable) only means the prompt cannot notice: it still takes an answer.
  const elsewhere = moved
    ? moved(stopWatching.signal).then(
        (events) => (events.length ? { events } : new Promise<never>(() => undefined)),
        () => new Promise<never>(() => undefined),
      )
    : new Promise<never>(() => undefined);
  const lines = rl[Symbol.asyncIterator]();
  try {
    // Lines typed ahead of a question are buffered by the iterator, not lost.
    while (true) {
      const next = await Promise.race([lines.next(), elsewhere]);
      if ("events" in next) {
        streams.output.write(`\n${io.c.yellow("!")} ${movedNotice(s, next.events)}\n`);
        return "moved";
      }
      if (next.done) break;
      const answer = next.value.trim().toLowerCase();
      if (answer === "") return "leave";
      const found = options.find(([letter, choice]) => answer === letter || answer === word(choice));
      if (found) return found[1];
      streams.output.write(`  "${answer}" is not one of ${options.map(([l]) => l).join(", ")}\n`);
      rl.prompt();
    }
  } finally {
    stopWatching.abort();
    rl.close();
  }
  streams.output.write("\n");
  return "leave";
}

/**
 * What another process did to the run while the prompt waited, from the first event that says who:
 * `run r… was approved by alice@ci-7 at 10:42:07 UTC from another process; it continues there (followed here)`.
 */
function movedNotice(s: RunState, events: RunEvent[], host = os.hostname()): string {
  const where = (by: { host: string; pid: number }) =>
    by.host === host ? `from another terminal (pid ${by.pid})` : `from ${by.host}`;
  const who = (by: { user: string; host: string; pid: number }, at: string) =>
    `by ${by.user}@${by.host} at ${clock(at, Date.parse(at))} ${where(by)}`;
  for (const e of events) {
    const run = `run ${e.runId}`;
    switch (e.type) {
      case "gate.approved":
        return `${run} was approved (${e.stepId}) ${who(e.by, e.at)}; it continues there, followed here`;
      case "run.decision":
        return e.decision === "abort"
          ? `${run} was aborted ${who(e.by, e.at)}; the abort runs there, followed here`
          : `${e.stepId ?? "the step"} of ${run} was ${e.decision === "retry" ? "retried" : "skipped"} ` +
              `${who(e.by, e.at)}; the run continues there, followed here`;
      case "step.skipped":
        if (!e.by) break;
        return `${e.stepId} of ${run} was skipped ${who(e.by, e.at)}; the run continues there, followed here`;
      case "abort.requested":
        return `${run} was aborted ${who(e.by, e.at)}; the abort runs there, followed here`;
      case "run.resumed":
        return `${run} was resumed ${who(e.by, e.at)}; it continues there, followed here`;
      case "lease.forced":
        return `${run} was taken over (unlock --force) ${who(e.by, e.at)}; stopping here`;
      case "run.finished":
        return `${run} ${e.outcome} (finished elsewhere); stopping here`;
    }
  }
  return `run ${s.runId} moved on elsewhere (${events.map((e) => e.type).join(", ")}); following it here`;
}

/** The journal watch of a prompt at `s`'s pause: polls the run's store (the one `playbook` names) for new events. */
export function moveWatch(io: CliIO, s: RunState, playbook?: string): MoveWatch {
  return (signal) => journalMoved(s.runId, s.lastSeq, { stateDir: io.stateDir, playbook, signal });
}

/** After the prompt noticed a move: show the run from there to its next rest, as `status --watch` would. */
export function followElsewhere(io: CliIO, renderer: Renderer, s: RunState, playbook?: string): Promise<RunState> {
  return watchRun(s.runId, {
    stateDir: io.stateDir,
    playbook,
    afterSeq: s.lastSeq,
    onEvent: (e, state) => renderer.event(e, state),
  });
}

/**
 * Guided failure at a terminal: when a run pauses and a person is there
 * (a TTY, no --yes, not CI), ask what to do instead of exiting 3. The
 * answer is recorded exactly like the `approve|retry|skip|abort` commands.
 * An answer is its letter or its word; anything else is refused and asked
 * again. Enter, Ctrl-C and end of input leave the run paused (exit 3).
 */
import { createInterface } from "node:readline/promises";
import type { RunState } from "../engine/reducer.js";
import type { CliIO } from "./io.js";

export type Choice = "approve" | "retry" | "skip" | "abort" | "leave";

export interface PromptStreams {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
}

export function canPrompt(io: CliIO): boolean {
  return io.tty && !io.yes && Boolean(process.stdin.isTTY);
}

/** What can be answered at this pause: letter → choice, in the order offered. */
function optionsFor(s: RunState): [string, Choice][] {
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
): Promise<Choice> {
  const options = optionsFor(s);
  const labels: Record<Choice, string> = {
    approve: "[a]pprove",
    retry: "[r]etry",
    skip: "[s]kip",
    abort: s.abortRequested ? "[r]etry the undo" : "abort (e[x]it with rollback)",
    leave: "[l]eave it paused",
  };
  // During an abort "r" retries the undo: its word is "retry", not "abort".
  const word = (choice: Choice) => (s.abortRequested && choice === "abort" ? "retry" : choice);
  const offered = options.map(([, c]) => labels[c]).join(", ");
  const question = `${io.c.yellow("?")} ${s.pause?.message ?? "paused"}\n  ${offered}: `;
  const rl = createInterface({ input: streams.input, output: streams.output, terminal: Boolean(streams.input.isTTY) });
  // Ctrl-C (a TTY in raw mode sends it as input) and end of input: nobody will answer, so leave it paused.
  rl.on("SIGINT", () => rl.close());
  rl.setPrompt(question);
  rl.prompt();
  try {
    // Lines typed ahead of a question are buffered by the iterator, not lost.
    for await (const line of rl) {
      const answer = line.trim().toLowerCase();
      if (answer === "") return "leave";
      const found = options.find(([letter, choice]) => answer === letter || answer === word(choice));
      if (found) return found[1];
      streams.output.write(`  "${answer}" is not one of ${options.map(([l]) => l).join(", ")}\n`);
      rl.prompt();
    }
  } finally {
    rl.close();
  }
  streams.output.write("\n");
  return "leave";
}

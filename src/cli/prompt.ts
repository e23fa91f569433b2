/**
 * Guided failure at a terminal: when a run pauses and a person is there
 * (a TTY, no --yes, not CI), ask what to do instead of exiting 3. The
 * answer is recorded exactly like the `approve|retry|skip|abort` commands.
 */
import { createInterface } from "node:readline/promises";
import type { RunState } from "../engine/reducer.js";
import type { CliIO } from "./io.js";

export type Choice = "approve" | "retry" | "skip" | "abort" | "leave";

export function canPrompt(io: CliIO): boolean {
  return io.tty && !io.yes && Boolean(process.stdin.isTTY);
}

export async function askDecision(io: CliIO, s: RunState): Promise<Choice> {
  const p = s.pause;
  const options: Record<string, Choice> =
    p?.reason === "approval" ? { a: "approve", x: "abort", l: "leave" } : s.abortRequested ? { r: "abort", s: "skip", l: "leave" } : { r: "retry", s: "skip", x: "abort", l: "leave" };
  const labels: Record<Choice, string> = { approve: "[a]pprove", retry: "[r]etry", skip: "[s]kip", abort: s.abortRequested ? "[r]etry the undo" : "abort (e[x]it with rollback)", leave: "[l]eave it paused" };
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    while (true) {
      const answer = (await rl.question(`${io.c.yellow("?")} ${p?.message ?? "paused"}\n  ${Object.values(options).map((c) => labels[c]).join(", ")}: `)).trim().toLowerCase();
      const choice = options[answer[0] ?? "l"];
      if (choice) return choice;
    }
  } finally {
    rl.close();
  }
}

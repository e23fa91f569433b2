/**
 * The terminal task list. A step that has finished (succeeded or skipped) is
 * printed once, permanently, when it finishes; the live region at the bottom
 * (see live-region.ts) holds only what can still change: the running steps
 * with their latest log line, failed ones, undos in progress and the pending
 * rest, clipped to the terminal. Events that matter after the run (failures,
 * pauses, undos) and the CLI's own notices are printed above the region.
 */
import type { RunEvent } from "../../engine/events.js";
import type { RunState, StepState } from "../../engine/reducer.js";
import { formatDuration } from "../../playbook/duration.js";
import type { CliIO } from "../io.js";
import { describeEvent } from "./describe-event.js";
import { LiveRegion, oneLine, type Screen } from "./live-region.js";
import type { Renderer } from "./renderer.js";
import { asTyped, commandPrefix } from "../typed-command.js";

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

const IMPORTANT = new Set<RunEvent["type"]>([
  "step.failed",
  "run.paused",
  "abort.requested",
  "lease.forced",
  "run.resumed",
  "run.admitted",
  "run.forced",
]);

export interface TtyStreams {
  out: Screen;
  /** The other stream on the same terminal; its writes are kept out of the live region. */
  err?: { write(chunk: unknown, ...rest: unknown[]): boolean };
}

export class TtyRenderer implements Renderer {
  private state?: RunState;
  private frame = 0;
  private readonly latest = new Map<string, string>();
  /** Per step, the "status/attempts" printed permanently, so a finished step is printed once. */
  private readonly printed = new Map<string, string>();
  private readonly region: LiveRegion;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly io: CliIO,
    streams: TtyStreams = { out: process.stdout, err: process.stderr },
  ) {
    this.region = new LiveRegion(streams.out, streams.err);
  }

  event(e: RunEvent, state: RunState): void {
    this.state = state;
    const c = this.io.c;
    if (e.type === "run.started")
      this.region.print(c.bold(`run ${e.runId}`) + c.dim(`  ${e.playbook.name} → ${e.environment}`));
    if (!this.timer) {
      this.timer = setInterval(() => this.draw(), 100);
      this.timer.unref();
    }
    if (e.type === "step.started" || e.type === "step.succeeded") this.latest.delete(e.stepId);
    const important = IMPORTANT.has(e.type) || e.type.startsWith("undo.");
    const d = important ? describeEvent(e) : undefined;
    if (d)
      this.region.print(
        (e.type === "step.failed" || e.type === "undo.failed" ? c.red("✖ ") : c.yellow("! ")) +
          oneLine(asTyped(d, commandPrefix(process.env))),
      );
    this.printFinished();
    this.draw();
  }

  log(stepId: string, level: string, message: string, fraction?: number): void {
    const pct = fraction !== undefined ? `${Math.round(fraction * 100)}% ` : "";
    this.latest.set(stepId, oneLine(`${pct}${message}`));
    if (level === "warn") this.region.print(this.io.c.yellow(`! ${stepId}: ${oneLine(message)}`));
  }

  /** The CLI's own messages (Ctrl-C handling): their own mark, never a step's. */
  notice(message: string): void {
    this.region.print(this.io.c.yellow(`■ ${oneLine(message)}`));
  }

  /** Draw a last time and leave the list on screen; later output (a prompt, the summary) goes below it. */
  close(state?: RunState): void {
    if (state) this.state = state;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.printFinished();
    this.draw();
    this.region.done();
  }

  /** Print each step that finished since the last call, once. */
  private printFinished(): void {
    if (!this.state) return;
    for (const id of this.state.order) {
      const st = this.state.steps[id]!;
      if (!finished(st)) continue;
      const key = `${st.status}/${st.attempts}`;
      if (this.printed.get(id) === key) continue;
      this.printed.set(id, key);
      this.region.print(this.row(st));
    }
  }

  private draw(): void {
    if (!this.state) return;
    this.frame = (this.frame + 1) % SPINNER.length;
    const rows: string[] = [];
    for (const id of this.state.order) {
      const st = this.state.steps[id]!;
      if (finished(st) && st.undo.status !== "running") continue;
      rows.push(this.row(st));
      const latest = this.latest.get(id);
      if (st.status === "running" && latest) rows.push(this.io.c.dim(`    ${latest}`));
    }
    this.region.update(rows);
  }

  private row(st: StepState): string {
    const c = this.io.c;
    const elapsed = st.status === "running" && st.startedAt ? Date.now() - Date.parse(st.startedAt) : st.durationMs;
    const time = st.status === "pending" ? "" : c.dim(` ${formatDuration(elapsed)}`);
    const undo = UNDO_MARK[st.undo.status]?.(c) ?? "";
    const attempt = st.attempts > 1 ? c.dim(` attempt ${st.attempts}`) : "";
    const id = oneLine(st.id);
    switch (st.status) {
      case "succeeded":
        return `${c.green("✔")} ${id}${time}${undo}`;
      case "running":
        return `${c.cyan(SPINNER[this.frame]!)} ${id}${time}${attempt}`;
      case "failed":
        return `${c.red("✖")} ${id}${time}${attempt}${st.retryInMs !== undefined ? c.dim(" retrying") : ""}${undo}`;
      case "skipped":
        return `${c.dim("↷")} ${c.dim(id)} ${c.dim(st.skipReason ?? "skipped")}`;
      default:
        return `${c.dim("○")} ${c.dim(id)}`;
    }
  }
}

const UNDO_MARK: Partial<Record<StepState["undo"]["status"], (c: CliIO["c"]) => string>> = {
  succeeded: (c) => c.magenta(" (undone)"),
  running: (c) => c.magenta(" (undoing)"),
  failed: (c) => c.red(" (undo failed)"),
};

/** Nothing about the step can change any more (short of an undo). */
function finished(st: StepState): boolean {
  return st.status === "succeeded" || st.status === "skipped";
}

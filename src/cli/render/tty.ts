/**
 * The terminal task list: one line per step with its state and elapsed time,
 * redrawn in place, the running step's latest log line beneath it. Events
 * that matter after the run (failures, pauses) are printed above the list.
 */
import type { RunEvent } from "../../engine/events.js";
import type { RunState, StepState } from "../../engine/reducer.js";
import { formatDuration } from "../../playbook/duration.js";
import type { CliIO } from "../io.js";
import { describeEvent } from "./describe-event.js";
import type { Renderer } from "./renderer.js";

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export class TtyRenderer implements Renderer {
  private state?: RunState;
  private lines = 0;
  private frame = 0;
  private latest = new Map<string, string>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly io: CliIO) {}

  event(e: RunEvent, state: RunState): void {
    this.state = state;
    if (e.type === "run.started") this.above(this.io.c.bold(`run ${e.runId}`) + this.io.c.dim(`  ${e.playbook.name} → ${e.environment}`));
    if (!this.timer) {
      this.timer = setInterval(() => this.draw(), 100);
      this.timer.unref();
    }
    if (e.type === "step.started" || e.type === "step.succeeded") this.latest.delete(e.stepId);
    const important = e.type === "step.failed" || e.type === "run.paused" || e.type.startsWith("undo.") || e.type === "abort.requested" || e.type === "lease.forced" || e.type === "run.resumed";
    const d = important ? describeEvent(e) : undefined;
    if (d) this.above((e.type === "step.failed" || e.type === "undo.failed" ? this.io.c.red("✖ ") : this.io.c.yellow("! ")) + d);
    else this.draw();
  }

  log(stepId: string, level: string, message: string, fraction?: number): void {
    const pct = fraction !== undefined ? `${Math.round(fraction * 100)}% ` : "";
    this.latest.set(stepId, `${pct}${message}`);
    if (level === "warn") this.above(this.io.c.yellow(`! ${stepId}: ${message}`));
  }

  notice(message: string): void {
    this.above(this.io.c.yellow(message));
  }

  /** Draw a last time and leave the list on screen; later output (a prompt, the summary) goes below it. */
  close(state?: RunState): void {
    if (state) this.state = state;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.draw();
    this.lines = 0;
  }

  /** Print a permanent line above the live list. */
  private above(text: string): void {
    this.clear();
    this.io.write(text + "\n");
    this.draw();
  }

  private clear(): void {
    if (this.lines > 0) this.io.write(`\x1b[${this.lines}A\x1b[0J`);
    this.lines = 0;
  }

  private draw(): void {
    if (!this.state) return;
    this.clear();
    this.frame = (this.frame + 1) % SPINNER.length;
    const rows: string[] = [];
    const width = process.stdout.columns ?? 100;
    for (const id of this.state.order) {
      const st = this.state.steps[id]!;
      rows.push(this.row(st, width));
      const latest = this.latest.get(id);
      if (st.status === "running" && latest) rows.push(this.io.c.dim(`    ${latest}`.slice(0, width - 1)));
    }
    this.io.write(rows.join("\n") + "\n");
    this.lines = rows.length;
  }

  private row(st: StepState, width: number): string {
    const c = this.io.c;
    // A wrapped row would break the cursor arithmetic of the redraw: keep ids within the width.
    if (st.id.length > width - 24) st = { ...st, id: st.id.slice(0, Math.max(8, width - 25)) + "…" };
    const elapsed = st.status === "running" && st.startedAt ? Date.now() - Date.parse(st.startedAt) : st.durationMs;
    const time = st.status === "pending" ? "" : c.dim(` ${formatDuration(elapsed)}`);
    const undo = st.undo.status === "succeeded" ? c.magenta(" (undone)") : st.undo.status === "running" ? c.magenta(" (undoing)") : st.undo.status === "failed" ? c.red(" (undo failed)") : "";
    const attempt = st.attempts > 1 ? c.dim(` attempt ${st.attempts}`) : "";
    switch (st.status) {
      case "succeeded":
        return `${c.green("✔")} ${st.id}${time}${undo}`;
      case "running":
        return `${c.cyan(SPINNER[this.frame]!)} ${st.id}${time}${attempt}`;
      case "failed":
        return `${c.red("✖")} ${st.id}${time}${attempt}${st.retryInMs !== undefined ? c.dim(" retrying") : ""}`;
      case "skipped":
        return `${c.dim("↷")} ${c.dim(st.id)} ${c.dim(st.skipReason ?? "skipped")}`;
      default:
        return `${c.dim("○")} ${c.dim(st.id)}`;
    }
  }
}

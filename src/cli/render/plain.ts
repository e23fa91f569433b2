/** Non-TTY output (CI logs): one timestamped line per event and per step log line. */
import type { RunEvent } from "../../engine/events.js";
import type { CliIO } from "../io.js";
import { describeEvent } from "./describe-event.js";
import type { Renderer } from "./renderer.js";

export class PlainRenderer implements Renderer {
  private lastProgress = new Map<string, number>();
  constructor(private readonly io: CliIO) {}
  private line(text: string): void {
    this.io.out(`${new Date().toISOString().slice(11, 19)} ${text}`);
  }
  event(e: RunEvent): void {
    const d = describeEvent(e);
    if (d) this.line(d);
  }
  log(stepId: string, level: string, message: string): void {
    // Progress lines are throttled to one per 2 s per step so CI logs stay readable.
    if (level === "progress") {
      const now = Date.now();
      if (now - (this.lastProgress.get(stepId) ?? 0) < 2000) return;
      this.lastProgress.set(stepId, now);
    }
    this.line(`${stepId} | ${level === "warn" ? "warning: " : ""}${message}`);
  }
  notice(message: string): void {
    this.line(message);
  }
  close(): void {}
}

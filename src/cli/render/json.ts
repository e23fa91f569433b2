/** `--output json`: one JSON object per line; journal events as stored, plus live `step.log` lines (no seq). */
import type { RunEvent } from "../../engine/events.js";
import type { CliIO } from "../io.js";
import type { Renderer } from "./renderer.js";

export class JsonRenderer implements Renderer {
  constructor(private readonly io: CliIO) {}
  event(e: RunEvent): void {
    this.io.out(JSON.stringify(e));
  }
  log(stepId: string, level: string, message: string, fraction?: number): void {
    this.io.out(
      JSON.stringify({
        type: "step.log",
        stepId,
        level,
        message,
        ...(fraction !== undefined ? { fraction } : {}),
        at: new Date().toISOString(),
      }),
    );
  }
  notice(message: string): void {
    this.io.out(JSON.stringify({ type: "notice", message, at: new Date().toISOString() }));
  }
  close(): void {}
}

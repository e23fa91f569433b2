/**
 * Output is a view of the events (docs/design.md invariant 8): the TTY task list,
 * plain log lines and JSON lines all consume the same stream.
 */
import type { RunEvent } from "../../engine/events.js";
import type { RunState } from "../../engine/reducer.js";
import type { CliIO } from "../io.js";
import { JsonRenderer } from "./json.js";
import { PlainRenderer } from "./plain.js";
import { TtyRenderer } from "./tty.js";
import { CiRenderer, inertIO } from "./ci-renderer.js";
import { dialectFor } from "./ci-dialect.js";

export interface Renderer {
  event(e: RunEvent, state: RunState): void;
  log(stepId: string, level: "info" | "warn" | "progress", message: string, fraction?: number): void;
  /** A message from the CLI itself (e.g. "stopping after the current step"). */
  notice(message: string): void;
  close(state?: RunState): void;
}

export function makeRenderer(io: CliIO, env: NodeJS.ProcessEnv = process.env): Renderer {
  // CI decorations only in plain text: JSON lines stay as they are, and a live TTY region has no log groups.
  const dialect = io.json || io.tty ? undefined : dialectFor(io, env);
  const base = io.json
    ? new JsonRenderer(io)
    : io.tty
      ? new TtyRenderer(io)
      : new PlainRenderer(dialect ? inertIO(io, dialect) : io);
  // The reports (--junit, the GitHub step summary) are written in every output mode.
  if (!dialect && !io.junit && !(io.ci === "github" && env.GITHUB_STEP_SUMMARY)) return base;
  return new CiRenderer(base, io, dialect, env);
}

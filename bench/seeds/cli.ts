/**
 * The seed benches' way to run the built CLI (the bundle a user's `cutover` runs): `cutover --output json <args>`,
 * its events and its wall time. `TRACE=1` makes `stepProfile` list every event with its offset from run.started.
 * `CLI_NODE_ARGS` passes flags to the CLI's node (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`: node refuses
 * --cpu-prof in NODE_OPTIONS).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { coveredMs } from "../../src/core/intervals.js";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export interface Event {
  type: string;
  stepId?: string;
  at?: string;
  outputs?: Record<string, unknown>;
}

export function cutoverJson(
  stateDir: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; events: Event[]; wallMs: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [...nodeArgs(), path.join(root, "dist/cli/cutover.js"), "--state-dir", stateDir, "--output", "json", ...args],
      { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => {
      const events = out
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Event);
      resolve({ code, events, wallMs: performance.now() - started });
    });
  });
}

const nodeArgs = (): string[] => process.env.CLI_NODE_ARGS?.split(" ").filter(Boolean) ?? [];

/** As cutoverJson, failing unless the command exits 0. */
export async function cutoverOk(stateDir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Event[]> {
  const r = await cutoverJson(stateDir, args, env);
  if (r.code !== 0) throw new Error(`cutover ${args[0]} exited ${r.code}`);
  return r.events;
}

/**
 * Each step as `id +start..end ms` from run.started (a group's steps overlap when they ran in parallel), so
 * the time between steps (the engine, the journal) shows beside the steps' own.
 */
export function stepProfile(events: Event[]): string {
  const t0 = Date.parse(events.find((e) => e.type === "run.started")?.at ?? "");
  const start = new Map<string, number>();
  const out: string[] = [];
  for (const e of events) {
    if (!e.stepId || !e.at) continue;
    const at = Date.parse(e.at) - t0;
    if (e.type === "step.started") start.set(e.stepId, at);
    else if (e.type === "step.succeeded" || e.type === "step.skipped")
      out.push(`${e.stepId} +${start.get(e.stepId) ?? at}..${at}`);
  }
  const end = Date.parse(events.find((e) => e.type === "run.finished")?.at ?? "") - t0;
  const trace = process.env.TRACE
    ? events
        .filter((e) => e.at)
        .map((e) => `\n    +${Date.parse(e.at!) - t0} ${e.type} ${e.stepId ?? ""}`)
        .join("")
    : "";
  return `${out.join(", ")}; run.finished +${end} ms${trace}`;
}

/**
 * How long at least one of `steps` was running (the union of their started..succeeded intervals), ms. Steps that
 * ran side by side count once: summing their durations would count the same wall-clock time twice.
 */
export function unionMs(events: Event[], steps: string[]): number {
  const at = (type: string, id: string) => Date.parse(events.find((e) => e.type === type && e.stepId === id)?.at ?? "");
  return coveredMs(steps.map((id) => [at("step.started", id), at("step.succeeded", id)] as const));
}

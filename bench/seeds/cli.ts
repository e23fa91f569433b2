/** The seed benches' way to run the built CLI: `cutover --output json <args>`, its events and its wall time. */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

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
      [path.join(root, "dist/src/cli/main.js"), "--state-dir", stateDir, "--output", "json", ...args],
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

/** As cutoverJson, failing unless the command exits 0. */
export async function cutoverOk(stateDir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Event[]> {
  const r = await cutoverJson(stateDir, args, env);
  if (r.code !== 0) throw new Error(`cutover ${args[0]} exited ${r.code}`);
  return r.events;
}

/** Shared by the local benchmarks: a throw-away local environment and small statistics. */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { localDown, localUp } from "../../src/providers/local/lifecycle.js";
import type { LocalStatus } from "../../src/core/slots.js";

export async function withLocalEnvironment<T>(fn: (status: LocalStatus, stateDir: string) => Promise<T>): Promise<T> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "cutover-bench-"));
  const dir = path.join(stateDir, "local");
  try {
    const { status } = await localUp({ dir });
    return await fn(status, stateDir);
  } finally {
    await localDown({ dir }).catch(() => undefined);
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function median(values: number[]): number {
  return quantile(values, 0.5);
}

/** What the benchmark ran on, for RESULTS.md. */
export function machine(): string {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
  return (
    `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ` + `Node ${process.version}, load average ${load} at start`
  );
}

export function hasProgram(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

export const ms = (v: number) => `${v.toFixed(1)} ms`;

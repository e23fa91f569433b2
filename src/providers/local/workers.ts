/**
 * A slot's worker processes: message handlers, read-model rebuilders, the
 * "worker role" beside the web role (CQRS Journey). They start once the
 * slot's web process is healthy, with the app's cwd and env plus their own
 * env and `CUTOVER_WORKER=<name>` (and the same PORT, CUTOVER_SLOT and flag
 * feed, so they can follow per-slot flags), are restarted with backoff if
 * they die, and stop with the slot: SIGTERM, then SIGKILL after their
 * `stopTimeoutMs` (draining a worker is letting it finish what it took). Each
 * slot has its own, so both versions' workers run side by side while both
 * slots run. Pids live in state.json, so a restarted supervisor adopts them.
 */
import path from "node:path";
import { minimalEnv } from "../../core/child-env.js";
import type { AppSpec, SlotName, WorkerSpec, WorkerStatus } from "../../core/slots.js";
import { isPidAlive } from "./files.js";
import { spawnDetached, stopApp, type BaseEnv } from "./slots.js";

const DEFAULT_STOP_TIMEOUT_MS = 10_000;

async function startWorker(
  slot: SlotName,
  spec: AppSpec,
  worker: WorkerSpec,
  port: number,
  logDir: string,
  baseEnv: BaseEnv,
): Promise<number> {
  const env = { ...minimalEnv(), ...spec.env, ...worker.env, ...baseEnv(slot, port), CUTOVER_WORKER: worker.name };
  const { pid } = await spawnDetached(
    `slot ${slot} worker ${worker.name}`,
    worker.command,
    spec.cwd,
    env,
    logDir,
    path.join(logDir, `${slot}-${worker.name}.log`),
  );
  return pid;
}

/** Start every worker of `spec` that is not running yet; returns name -> pid. */
export async function ensureWorkers(
  slot: SlotName,
  spec: AppSpec,
  running: Record<string, number> | undefined,
  port: number,
  logDir: string,
  baseEnv: BaseEnv,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const w of spec.workers ?? []) {
    const pid = running?.[w.name];
    out[w.name] = pid !== undefined && isPidAlive(pid) ? pid : await startWorker(slot, spec, w, port, logDir, baseEnv);
  }
  return out;
}

/** Stop a slot's workers, each given its own time to finish (in parallel). */
export async function stopWorkers(spec: AppSpec | undefined, running: Record<string, number> | undefined) {
  await Promise.all(
    Object.entries(running ?? {}).map(([name, pid]) => {
      const w = spec?.workers?.find((x) => x.name === name);
      return stopApp(pid, w?.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
    }),
  );
}

export function workerStatus(
  spec: AppSpec | undefined,
  running: Record<string, number> | undefined,
  restarts: Record<string, number>,
): WorkerStatus[] | undefined {
  if (!spec?.workers?.length) return undefined;
  return spec.workers.map((w) => {
    const pid = running?.[w.name];
    const alive = pid !== undefined && isPidAlive(pid);
    return { name: w.name, running: alive, ...(alive ? { pid } : {}), restarts: restarts[w.name] ?? 0 };
  });
}

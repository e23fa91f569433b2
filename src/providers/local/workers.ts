/**
 * A slot's worker processes: message handlers, read-model rebuilders, the
 * "worker role" beside the web role (CQRS Journey). They start with the
 * slot's web process (while it starts, a read model rebuilds and a handler
 * connects to its broker), with the app's cwd and env plus their own
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

/**
 * Start every worker of `spec` that is not running yet, side by side; returns name -> pid. If one cannot be
 * started, those this call started are stopped again before the error is thrown: none is left untracked.
 */
export async function ensureWorkers(
  slot: SlotName,
  spec: AppSpec,
  running: Record<string, number> | undefined,
  port: number,
  logDir: string,
  baseEnv: BaseEnv,
): Promise<Record<string, number>> {
  const started = await Promise.allSettled(
    (spec.workers ?? []).map(async (w): Promise<[string, number]> => {
      const pid = running?.[w.name];
      if (pid !== undefined && isPidAlive(pid)) return [w.name, pid];
      return [w.name, await startWorker(slot, spec, w, port, logDir, baseEnv)];
    }),
  );
  const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
  const out = Object.fromEntries(started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : [])));
  if (failed) {
    await stopWorkers(spec, freshWorkers(running, out));
    throw failed.reason;
  }
  return out;
}

/** The workers of `now` that are not among `kept` (same name and pid): the ones a start added. */
export function freshWorkers(
  kept: Record<string, number> | undefined,
  now: Record<string, number> | undefined,
): Record<string, number> {
  return Object.fromEntries(Object.entries(now ?? {}).filter(([name, pid]) => kept?.[name] !== pid));
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

/**
 * The local environment's supervisor: runs in a detached process, owns the
 * two slots, the reverse proxy, the flag store and the admin API, and keeps
 * its state in `<dir>/state.json` so a restarted supervisor re-adopts the
 * running apps and listens on the same public port.
 */
import fs from "node:fs";
import http from "node:http";
import type { Json } from "../../core/json.js";
import { FlagBoard } from "./flags.js";
import { ensureTokenFile, isPidAlive, localPaths, readJsonFile, writeFileAtomic } from "./files.js";
import { ReverseProxy } from "./proxy.js";
import { freePort, isHealthy, listenRetrying, startApp, stopApp } from "./slots.js";
import { buildStatus } from "./status-report.js";
import { ensureWorkers, freshWorkers, stopWorkers } from "./workers.js";
import {
  SLOT_NAMES,
  otherSlot,
  type AppSpec,
  type Canary,
  type DrainResult,
  type LocalStatus,
  type SlotHealth,
  type SlotName,
} from "../../core/slots.js";
import { specsEqual, type LocalState, type SlotRecord } from "./types.js";

/** Written by `local up` before the first start: what blue runs in a new environment. */
export interface Bootstrap {
  baseline: AppSpec;
  publicPort?: number;
}

export interface SupervisorInfo {
  pid: number;
  adminPort: number;
  publicPort: number;
  startedAt: string;
}

/** A refusal the admin API reports as 409 (the request makes no sense in this state). */
export class Refused extends Error {}

const MONITOR_INTERVAL_MS = 1000;

const logError = (e: unknown) => console.error(`${new Date().toISOString()} supervisor: ${(e as Error).message}`);
const FLAG_APPLY_TIMEOUT_MS = 5000;

export class Supervisor {
  readonly paths: ReturnType<typeof localPaths>;
  readonly proxy: ReverseProxy;
  readonly flags: FlagBoard;
  readonly adminToken: string;
  readonly appsToken: string;
  readonly startedAt = new Date().toISOString();
  adminServer?: http.Server;
  private readonly health: Record<SlotName, SlotHealth> = { blue: "stopped", green: "stopped" };
  private restarts: Record<SlotName, { failures: number; notBefore: number }> = {
    blue: { failures: 0, notBefore: 0 },
    green: { failures: 0, notBefore: 0 },
  };
  /** How many times each slot's workers were restarted by the monitor (for `status`). */
  readonly workerRestarts: Record<SlotName, Record<string, number>> = { blue: {}, green: {} };
  private queue: Promise<unknown> = Promise.resolve();
  private persisting: Promise<void> = Promise.resolve();
  private monitor?: NodeJS.Timeout;
  private closing = false;
  /** Aborted by shutdown: a restart the monitor has under way stops waiting for a health that may never come. */
  private readonly closingSignal = new AbortController();

  private constructor(
    readonly dir: string,
    public state: LocalState,
  ) {
    this.paths = localPaths(dir);
    this.adminToken = ensureTokenFile(this.paths.adminToken);
    this.appsToken = ensureTokenFile(this.paths.appsToken);
    this.proxy = new ReverseProxy(state.live, {}, state.canary);
    this.flags = new FlagBoard(
      { flags: state.flags, rev: state.flagsRev },
      () => this.persist(),
      (slot, pid) => {
        const rec = this.state.slots[slot];
        if (rec.pid === pid && !rec.flagsConsumer) {
          rec.flagsConsumer = true;
          void this.persist().catch(() => undefined);
        }
      },
    );
  }

  static async load(dir: string): Promise<Supervisor> {
    const paths = localPaths(dir);
    let state = await readJsonFile<LocalState>(paths.state);
    if (!state) {
      const boot = await readJsonFile<Bootstrap>(`${dir}/bootstrap.json`);
      if (!boot) throw new Error(`no state.json or bootstrap.json in ${dir}`);
      state = {
        format: 1,
        publicPort: boot.publicPort ?? 0,
        adminPort: 0,
        live: "blue",
        slots: { blue: { port: 0, spec: boot.baseline, running: true }, green: { port: 0, running: false } },
        flags: {},
        flagsRev: 0,
      };
    }
    return new Supervisor(dir, state);
  }

  /**
   * Adopt the apps still running, then listen (same ports as last time), start the slots that are not,
   * start monitoring. Adopting first: a restarted supervisor whose public port answered before it knew
   * its apps would say 503 for the live slot although the app never stopped.
   */
  async start(
    handler: (s: Supervisor, req: http.IncomingMessage, res: http.ServerResponse) => void,
  ): Promise<SupervisorInfo> {
    const toStart: SlotName[] = [];
    for (const slot of SLOT_NAMES) if (!(await this.adopt(slot))) toStart.push(slot);
    this.state.publicPort = await listenRetrying(this.proxy.server, this.state.publicPort);
    this.adminServer = http.createServer((req, res) => handler(this, req, res));
    this.state.adminPort = await listenRetrying(this.adminServer, this.state.adminPort);
    for (const slot of toStart) await this.startAgain(slot);
    await this.persist();
    this.monitor = setInterval(() => void this.checkSlots(), MONITOR_INTERVAL_MS);
    const info: SupervisorInfo = {
      pid: process.pid,
      adminPort: this.state.adminPort,
      publicPort: this.state.publicPort,
      startedAt: this.startedAt,
    };
    await writeFileAtomic(this.paths.supervisorInfo, JSON.stringify(info, null, 2) + "\n");
    return info;
  }

  /** Take over the slot's app if it still runs healthy (or nothing should run there): true when done. */
  private async adopt(slot: SlotName): Promise<boolean> {
    const { startingPid, startingWorkers, workers } = this.state.slots[slot];
    if (startingPid !== undefined || startingWorkers !== undefined) {
      // A start the previous supervisor did not see through, with the workers it started: its caller will retry.
      const pids = [startingPid, ...Object.values(freshWorkers(workers, startingWorkers))];
      for (const pid of pids) if (pid !== undefined && isPidAlive(pid)) await stopApp(pid, 2000);
      this.state.slots[slot] = { ...this.state.slots[slot], startingPid: undefined, startingWorkers: undefined };
    }
    const rec = this.state.slots[slot];
    if (!rec.running || !rec.spec) return true;
    if (rec.pid && isPidAlive(rec.pid) && (await isHealthy(rec.port, rec.spec.healthPath, 1000))) {
      this.health[slot] = "healthy";
      this.proxy.setUpstream(slot, rec.port);
      await this.startWorkers(slot).catch(logError);
      return true;
    }
    return false;
  }

  /** Start again an app that should run in `slot` but is gone or unhealthy. */
  private async startAgain(slot: SlotName): Promise<void> {
    const rec = this.state.slots[slot];
    if (!rec.spec) return;
    try {
      await this.launch(slot, rec.spec, undefined, true);
    } catch (e) {
      // Keep serving what we can; the monitor retries, status shows it unhealthy.
      console.error(`supervisor: ${(e as Error).message}`);
    }
  }

  /**
   * Start `spec` in `slot` and wait until healthy. A failed deploy marks the slot
   * stopped; a failed restart (`keepRunning`) keeps the intent, so the monitor tries again.
   */
  private async launch(slot: SlotName, spec: AppSpec, signal?: AbortSignal, keepRunning = false): Promise<void> {
    const rec = this.state.slots[slot];
    const port = await freePort(rec.port || undefined);
    this.health[slot] = "starting";
    let spawned: number | undefined;
    let workers: Record<string, number> | undefined;
    try {
      // The workers start with the app, not once it is healthy: a read model rebuilds and a handler connects to
      // its broker while the web process starts. Their pids are recorded with the app's before anything waits:
      // a supervisor that dies meanwhile must not leave an orphan behind (adopt stops them).
      const onSpawn = async (pid: number) => {
        spawned = pid;
        workers = await ensureWorkers(slot, spec, rec.workers, port, this.paths.logs, (s, p) => this.baseEnv(s, p));
        this.countRestarts(slot, rec.workers, workers);
        this.state.slots[slot] = { ...this.state.slots[slot], startingPid: pid, startingWorkers: workers };
        await this.persist();
      };
      const app = await startApp(slot, spec, port, this.paths.logs, (s, p) => this.baseEnv(s, p), signal, onSpawn);
      // An app polls flags as it starts, before this record names its pid: look it up.
      const flagsConsumer = this.flags.appliedBy(slot, app.pid) !== undefined || undefined;
      this.state.slots[slot] = {
        port,
        spec,
        previousSpec: this.replaced(rec, spec),
        running: true,
        pid: app.pid,
        startedAt: new Date().toISOString(),
        flagsConsumer,
        workers,
      };
      this.health[slot] = "healthy";
      this.proxy.setUpstream(slot, port);
    } catch (e) {
      // The app did not come up: the workers started with it go too; those kept (the app alone crashed) stay.
      if (spawned !== undefined) await stopApp(spawned, 2000);
      await stopWorkers(spec, freshWorkers(rec.workers, workers));
      this.state.slots[slot] = {
        port,
        spec,
        previousSpec: this.replaced(rec, spec),
        running: keepRunning,
        workers: rec.workers,
      };
      this.health[slot] = keepRunning ? "unhealthy" : "stopped";
      this.proxy.setUpstream(slot, undefined);
      throw e;
    } finally {
      await this.persist();
    }
  }

  /** Start the slot's workers that are not running (a worker died, or a supervisor adopts the app); pids persisted. */
  private async startWorkers(slot: SlotName): Promise<void> {
    const rec = this.state.slots[slot];
    if (!rec.spec?.workers?.length) return;
    const before = rec.workers ?? {};
    const workers = await ensureWorkers(slot, rec.spec, before, rec.port, this.paths.logs, (s, p) =>
      this.baseEnv(s, p),
    );
    this.countRestarts(slot, before, workers);
    this.state.slots[slot] = { ...this.state.slots[slot], workers };
    await this.persist();
  }

  /** Workers that were running and now have another pid were restarted: count them for `status`. */
  private countRestarts(slot: SlotName, before: Record<string, number> | undefined, after: Record<string, number>) {
    for (const [name, pid] of Object.entries(after)) {
      if (before?.[name] !== undefined && before[name] !== pid) {
        this.workerRestarts[slot][name] = (this.workerRestarts[slot][name] ?? 0) + 1;
        console.error(`${new Date().toISOString()} supervisor: slot ${slot} worker ${name} was down; restarted it`);
      }
    }
  }

  private replaced(rec: SlotRecord, next: AppSpec): AppSpec | undefined {
    return rec.spec && !specsEqual(rec.spec, next) ? rec.spec : rec.previousSpec;
  }

  private baseEnv(slot: SlotName, port: number): Record<string, string> {
    return {
      PORT: String(port),
      CUTOVER_SLOT: slot,
      CUTOVER_LOCAL_DIR: this.dir,
      CUTOVER_FLAGS_URL: `http://127.0.0.1:${this.state.adminPort}/v1/app-flags`,
      CUTOVER_FLAGS_TOKEN: this.appsToken,
      CUTOVER_FLAGS_INITIAL: JSON.stringify({ rev: this.flags.revision, flags: this.flags.viewFor(slot) }),
    };
  }

  /** Run mutations one at a time: a swap waits for a deploy into the same environment to finish. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Start `spec` in `slot` unless that exact deployment already runs there healthy. */
  deploy(slot: SlotName, spec: AppSpec, signal?: AbortSignal): Promise<{ changed: boolean }> {
    return this.serial(async () => {
      const rec = this.state.slots[slot];
      const alive = rec.running && isPidAlive(rec.pid) && rec.spec !== undefined;
      if (alive && specsEqual(rec.spec, spec) && (await isHealthy(rec.port, spec.healthPath, 1000)))
        return { changed: false };
      if (slot === this.state.live && alive)
        throw new Refused(`slot ${slot} is live: deploy into the idle slot, or swap first`);
      if (slot === this.state.canary?.slot && alive)
        throw new Refused(`slot ${slot} takes ${this.state.canary.percent} % of the traffic: shift it back to 0 first`);
      // A slot swapped out a moment ago may still finish requests: let them end first.
      await this.proxy.waitDrained(slot, { writesOnly: false, timeoutMs: 30_000, signal });
      if (rec.pid) await stopApp(rec.pid, 5000);
      await stopWorkers(rec.spec, rec.workers);
      // Stopped on purpose: the new deployment's workers are new ones, not restarts of these.
      this.state.slots[slot] = { ...this.state.slots[slot], workers: undefined };
      await this.launch(slot, spec, signal);
      return { changed: true };
    });
  }

  /**
   * Run `version` in `slot` again: the slot's current deployment (restart after
   * a stop) or the one the last deploy replaced (undo of a deploy).
   */
  async revive(slot: SlotName, version: string, signal?: AbortSignal): Promise<{ changed: boolean }> {
    const rec = this.state.slots[slot];
    const spec =
      rec.spec?.version === version ? rec.spec : rec.previousSpec?.version === version ? rec.previousSpec : undefined;
    if (!spec) throw new Refused(`slot ${slot} has no deployment of ${version} to bring back`);
    return this.deploy(slot, spec, signal);
  }

  stop(
    slot: SlotName,
    opts: { drainTimeoutMs: number; killAfterMs: number },
  ): Promise<{ changed: boolean; drain?: DrainResult }> {
    return this.serial(async () => {
      const rec = this.state.slots[slot];
      if (slot === this.state.live) throw new Refused(`slot ${slot} is live: swap before stopping it`);
      if (slot === this.state.canary?.slot)
        throw new Refused(`slot ${slot} takes ${this.state.canary.percent} % of the traffic: shift it back to 0 first`);
      if (!rec.running && !isPidAlive(rec.pid)) return { changed: false };
      const drain = await this.proxy.waitDrained(slot, { writesOnly: false, timeoutMs: opts.drainTimeoutMs });
      this.state.slots[slot] = { ...rec, running: false };
      await this.persist();
      this.proxy.setUpstream(slot, undefined);
      if (rec.pid) await stopApp(rec.pid, opts.killAfterMs);
      // The web process first (no new work comes in through it), then the workers finish what they took.
      await stopWorkers(rec.spec, rec.workers);
      this.state.slots[slot] = { port: rec.port, spec: rec.spec, previousSpec: rec.previousSpec, running: false };
      this.health[slot] = "stopped";
      await this.persist();
      return { changed: true, drain };
    });
  }

  /** Point the proxy at `slot` if it is healthy. `ifLive` makes it conditional (compare-and-swap). */
  setLive(slot: SlotName, ifLive?: SlotName): Promise<{ previous: SlotName; live: SlotName; changed: boolean }> {
    return this.serial(async () => {
      const previous = this.state.live;
      if (previous === slot) return { previous, live: slot, changed: false };
      if (ifLive && ifLive !== previous) throw new Refused(`live slot is ${previous}, not ${ifLive}`);
      const rec = this.state.slots[slot];
      if (!rec.running || !rec.spec || !(await isHealthy(rec.port, rec.spec.healthPath, 2000))) {
        throw new Refused(`slot ${slot} is not running healthy; deploy it first`);
      }
      // Durable first: a supervisor restarted after this point serves the new slot.
      this.state.live = slot;
      // A swap moves all the traffic: a weighted split in progress ends with it.
      this.state.canary = undefined;
      await this.persist();
      this.proxy.setLive(slot);
      this.proxy.setCanary(undefined);
      return { previous, live: slot, changed: true };
    });
  }

  /**
   * Weighted routing: `weights` (percent per slot, summing to 100). A slot at 100 becomes live (as setLive);
   * otherwise the live slot stays and the other one gets its share. A slot given traffic must run healthy.
   */
  setWeights(weights: Partial<Record<SlotName, number>>): Promise<{ live: SlotName; canary?: Canary }> {
    return this.serial(async () => {
      const w = { blue: weights.blue ?? 0, green: weights.green ?? 0 };
      if (w.blue + w.green !== 100 || ![w.blue, w.green].every((v) => Number.isInteger(v) && v >= 0))
        throw new Refused(`weights must be whole percents summing to 100, got blue ${w.blue}, green ${w.green}`);
      const full = SLOT_NAMES.find((s) => w[s] === 100);
      const live = full ?? this.state.live;
      const other = otherSlot(live);
      const canary: Canary | undefined = full ? undefined : { slot: other, percent: w[other] };
      for (const slot of SLOT_NAMES) {
        if (w[slot] === 0 || (slot === this.state.live && !full)) continue;
        const rec = this.state.slots[slot];
        if (!rec.running || !rec.spec || !(await isHealthy(rec.port, rec.spec.healthPath, 2000)))
          throw new Refused(`slot ${slot} is not running healthy; deploy it before giving it traffic`);
      }
      // Durable first, as setLive: a restarted supervisor keeps the split.
      this.state.live = live;
      this.state.canary = canary;
      await this.persist();
      this.proxy.setLive(live);
      this.proxy.setCanary(canary);
      return canary ? { live, canary } : { live };
    });
  }

  /** Write a flag and wait until every running app confirmed it. */
  async setFlag(
    name: string,
    value: Json | undefined,
    ifEtag?: string,
  ): Promise<{ etag: string; pending: SlotName[] }> {
    const rev = value === undefined ? await this.flags.delete(name, ifEtag) : await this.flags.set(name, value, ifEtag);
    return { etag: String(rev), pending: await this.flagsApplied(rev) };
  }

  /**
   * Wait until every running app has applied flag revision `rev` (default: the
   * current one). Reads wait too, so a retried `flag.set` that finds its value
   * already written still returns only once the apps act on it.
   */
  flagsApplied(rev = this.flags.revision): Promise<SlotName[]> {
    const procs = SLOT_NAMES.flatMap((slot) => {
      const r = this.state.slots[slot];
      if (!r.running) return [];
      const app = r.pid && r.flagsConsumer && isPidAlive(r.pid) ? [r.pid] : [];
      // Workers that read flags wait too: a handler in maintenance must stop taking new work first.
      const workers = Object.values(r.workers ?? {}).filter((pid) => this.flags.readers(slot).includes(pid));
      return [...app, ...workers].map((pid) => ({ slot, pid }));
    });
    return this.flags.waitApplied(rev, procs, FLAG_APPLY_TIMEOUT_MS);
  }

  /**
   * Write state.json. One write at a time, each of the state as it is when that write starts: two in flight
   * could finish their renames in the other order and leave the older state on disk.
   */
  persist(): Promise<void> {
    const write = this.persisting.then(async () => {
      this.state.flags = this.flags ? this.flags.records() : this.state.flags;
      this.state.flagsRev = this.flags ? this.flags.revision : this.state.flagsRev;
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.paths.state, JSON.stringify(this.state, null, 2) + "\n");
    });
    this.persisting = write.catch(() => undefined);
    return write;
  }

  /** Restart apps that died while they should be running; refresh health for `status`. */
  private async checkSlots(): Promise<void> {
    if (this.closing) return;
    for (const slot of SLOT_NAMES) {
      const rec = this.state.slots[slot];
      if (!rec.running || !rec.spec || this.health[slot] === "starting") continue;
      if (isPidAlive(rec.pid)) {
        this.health[slot] = (await isHealthy(rec.port, rec.spec.healthPath, 1000)) ? "healthy" : "unhealthy";
        const workersDown = (rec.spec.workers ?? []).some((w) => !isPidAlive(rec.workers?.[w.name]));
        if (workersDown && this.health[slot] === "healthy") {
          await this.serial(async () => {
            if (this.state.slots[slot].running && !this.closing) await this.startWorkers(slot).catch(logError);
          });
        }
        continue;
      }
      // Back off a crash loop: 1 s, 2 s, 4 s ... at most 30 s between attempts.
      const backoff = this.restarts[slot];
      if (Date.now() < backoff.notBefore) continue;
      const spec = rec.spec;
      console.error(`${new Date().toISOString()} supervisor: slot ${slot} (${spec.version}) is down; restarting it`);
      await this.serial(async () => {
        const now = this.state.slots[slot];
        if (!now.running || isPidAlive(now.pid) || this.closing) return;
        try {
          await this.launch(slot, spec, this.closingSignal.signal, true);
          this.restarts[slot] = { failures: 0, notBefore: 0 };
        } catch (e) {
          const failures = backoff.failures + 1;
          this.restarts[slot] = { failures, notBefore: Date.now() + Math.min(30_000, 1000 * 2 ** (failures - 1)) };
          console.error(`${new Date().toISOString()} supervisor: ${(e as Error).message}`);
        }
      });
    }
  }

  status(): LocalStatus {
    return buildStatus({
      dir: this.dir,
      startedAt: this.startedAt,
      state: this.state,
      health: this.health,
      proxy: this.proxy,
      flags: this.flags,
      workerRestarts: this.workerRestarts,
    });
  }

  /** `local down`: stop serving, stop both apps, exit. State is kept for the next `up`. */
  async shutdown(killAfterMs = 5000): Promise<void> {
    this.closing = true;
    clearInterval(this.monitor);
    // A crashed app being restarted holds the supervisor's queue until it is healthy, which (its database gone, say)
    // may be never: cancel it, so `local down` stops it now instead of waiting out its health timeout.
    this.closingSignal.abort();
    await this.serial(async () => {
      this.flags.close();
      await this.proxy.close();
      for (const slot of SLOT_NAMES) {
        const rec = this.state.slots[slot];
        if (rec.pid) await stopApp(rec.pid, killAfterMs);
        await stopWorkers(rec.spec, rec.workers);
        // Keep `running` so the next `up` brings back what ran; forget the pids.
        this.state.slots[slot] = { ...rec, pid: undefined, startedAt: undefined, workers: undefined };
      }
      await this.persist();
      fs.rmSync(this.paths.supervisorInfo, { force: true });
    });
    this.adminServer?.close();
    this.adminServer?.closeAllConnections();
  }
}

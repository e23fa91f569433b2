/**
 * A working session on one run: the environment's lease held (with
 * heartbeat and fencing), the journal open, a Runner ready. Every command
 * that changes a run (run, resume, retry, skip, approve, abort) goes
 * through here, so the lease rules live in one place.
 */
import { randomBytes } from "node:crypto";
import { CUTOVER_VERSION } from "../core/version.js";
import { findAction } from "../actions/registry.js";
import type { RunEvent } from "../engine/events.js";
import { Journal } from "../engine/journal.js";
import { LeaseKeeper } from "../engine/lease-keeper.js";
import { Redactor } from "../engine/redact.js";
import { Runner } from "../engine/runner.js";
import { registerRunSecrets } from "./secrets.js";
import { Notifier } from "./notify.js";
import type { RunState } from "../engine/reducer.js";
import type { LeaseInfo, LeaseRequest, RunStore } from "../core/run-store.js";
import { formatHolder, type LeaseHolder } from "../core/lease-holder.js";
import { ErrorCode, isCutoverError } from "../core/errors.js";
import { parseDuration } from "../playbook/duration.js";
import type { LoadedPlaybook } from "../playbook/validate.js";
import { currentActor, lookupSecret, ProviderSet } from "../runtime.js";
import type { Json } from "../core/json.js";
import type { Actor } from "../engine/events.js";
import { holderIsDeadLocalProcess } from "./driver-gone.js";
import { primeStatusCache } from "./status-facts-build.js";

export { holderIsDeadLocalProcess };

export interface SessionOptions {
  stateDir: string;
  env?: NodeJS.ProcessEnv;
  onEvent?: (e: RunEvent, state: RunState) => void;
  onLog?: (stepId: string, level: "info" | "warn" | "progress", message: string, fraction?: number) => void;
  onFailure?: "pause" | "abort" | "continue";
}

export { CUTOVER_VERSION };

export function newRunId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `r${t}-${randomBytes(3).toString("hex")}`;
}

/** The lease request of `actor` working on `runId`: the holder as data, and its display form for older readers. */
function leaseRequest(actor: Actor, runId: string, environment: string, ttlMs: number): LeaseRequest {
  const by: LeaseHolder = { user: actor.user, host: actor.host, pid: actor.pid, runId };
  return { environment, holder: formatHolder(by), by, runId, ttlMs };
}

export class Session {
  private constructor(
    readonly loaded: LoadedPlaybook,
    readonly providers: ProviderSet,
    readonly store: RunStore,
    readonly keeper: LeaseKeeper,
    readonly journal: Journal,
    readonly runner: Runner,
    /** The playbook's `notify:` webhooks (api/notify.ts), if any. */
    private readonly notifier?: Notifier,
  ) {}

  get runId(): string {
    return this.journal.runId;
  }

  /**
   * Acquire the lease for `loaded`'s environment, then open (or create) the
   * journal. A lease whose holder crashed on this host is taken over at once
   * and the takeover journaled; otherwise a live lease is ENV_LOCKED (exit 4).
   */
  static async open(
    loaded: LoadedPlaybook,
    opts: SessionOptions,
    params: { all: Record<string, Json> },
    journalFor: (store: RunStore, fence: { environment: string; token: number }, runId: string) => Promise<Journal>,
    runId: string,
  ): Promise<Session> {
    const env = opts.env ?? process.env;
    // Every secret the run can meet, before anything is printed or journaled (not only once a step resolves it).
    const redactor = registerRunSecrets(new Redactor(), loaded, env, params.all);
    const providers = new ProviderSet(loaded, { stateDir: opts.stateDir, env, redactor, params: params.all });
    const actor = currentActor(env);
    let keeper: LeaseKeeper | undefined;
    try {
      await providers.preflight(); // before the lease: nothing has changed if an entry cannot work
      const store = await providers.store();
      const ttlMs = parseDuration(loaded.playbook.lease?.ttl ?? "30s");
      const req = leaseRequest(actor, runId, loaded.environment, ttlMs);
      let lost: unknown;
      const ref: { runner?: Runner } = {};
      const onLost = (e: unknown) => {
        lost = e;
        ref.runner?.cancelRunning(e);
      };
      let forcedFrom: LeaseInfo | undefined;
      try {
        keeper = await LeaseKeeper.acquire(store, req, onLost);
      } catch (e) {
        const current = isCutoverError(e, ErrorCode.Locked) ? await store.readLease(loaded.environment) : undefined;
        if (!current || !holderIsDeadLocalProcess(current, actor.host)) throw e;
        const { lease } = await store.forceLease(req);
        forcedFrom = current;
        await store.releaseLease(lease);
        keeper = await LeaseKeeper.acquire(store, req, onLost);
      }
      const fence = { environment: loaded.environment, token: keeper.lease.token };
      const journal = await journalFor(store, fence, runId);
      journal.fence = fence;
      if (opts.onEvent) {
        journal.onEvent(opts.onEvent);
        for (const e of journal.created ?? []) opts.onEvent(e, journal.state);
      }
      if (forcedFrom) {
        await journal.append({
          type: "lease.forced",
          environment: loaded.environment,
          by: actor,
          previousHolder: `${forcedFrom.holder} (process gone)`,
        });
      }
      for (const name of journal.state.secretParams) redactor.add(params.all[name]);
      const runner = new Runner({
        journal,
        playbook: loaded.playbook,
        baseDir: loaded.baseDir,
        stateDir: opts.stateDir,
        findAction,
        provider: (t, c) => providers.provider(t, c),
        actor,
        env,
        params: params.all,
        secret: (n) => lookupSecret(env, n),
        redactor,
        onLog: opts.onLog,
        onFailure: opts.onFailure,
      });
      ref.runner = runner;
      if (lost) runner.cancelRunning(lost);
      // Notifications follow durable events; an opened run first sends what its journal still owes (api/notify.ts).
      const notifier = Notifier.create(loaded.playbook, journal, {
        env,
        redactor,
        userAgent: `cutover/${CUTOVER_VERSION}`,
      });
      if (notifier) {
        journal.onEvent((e) => notifier.observe(e));
        if (!journal.created) notifier.catchUp(await store.read(runId));
      }
      return new Session(loaded, providers, store, keeper, journal, runner, notifier);
    } catch (e) {
      await keeper?.release();
      await providers.close();
      throw e;
    }
  }

  async drive(): Promise<RunState> {
    return this.runner.drive();
  }

  async close(): Promise<void> {
    await this.notifier?.settle(); // bounded (api/notify.ts); the journal still takes notify.sent under the lease
    await this.keeper.release();
    await primeStatusCache(this.store, this.journal.state, this.loaded);
    await this.providers.close();
  }
}

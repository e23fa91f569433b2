/**
 * What the page shows, read from the run store the serve process opened once (the same store `status` reads,
 * api/inspect.ts `openStore`): the runs of each environment, and one run in full. Read-only; each run's journal
 * is folded once and then only its new events are read on every refresh. Secrets are masked as `status` masks them.
 */
import fs from "node:fs";
import { abortPreview, driverGone, tryLoad, type AbortPreview } from "../api/inspect.js";
import { runRedactor } from "../api/secrets.js";
import { ErrorCode, isCutoverError } from "../core/errors.js";
import type { Json } from "../core/json.js";
import { isLeaseLive, type LeaseInfo, type RunStore } from "../core/run-store.js";
import type { RunEvent } from "../engine/events.js";
import { buildPlan, leafSpecs } from "../engine/plan.js";
import { applyEvent, foldRun, isFinished, type RunState, type StepState } from "../engine/reducer.js";
import type { LoadedPlaybook } from "../playbook/validate.js";
import { buildTimeline, type TimelineEntry } from "./timeline.js";

export interface RunRow {
  runId: string;
  playbook: string;
  status: RunState["status"] | "damaged";
  step?: string;
  startedAt: string;
  updatedAt: string;
  driverGone: boolean;
  damage?: string;
}

export interface RunView {
  state: RunState;
  steps: (StepState & { action?: string })[];
  lease: { holder: string; expiresAt: string; thisRun: boolean } | null;
  driverGone: boolean;
  abortPreview: AbortPreview[];
  timeline: TimelineEntry[];
  /** The decisions the run can take now, and on which step (the page's buttons). */
  can: { approve?: string; retry?: string; skip?: string; abort: boolean };
}

export class RunReader {
  private runs = new Map<string, { events: RunEvent[]; state: RunState }>();
  private playbooks = new Map<string, { mtimeMs: number; loaded?: LoadedPlaybook }>();
  private reading = new Map<string, Promise<RunState | undefined>>();

  constructor(
    private readonly store: RunStore,
    private readonly env: NodeJS.ProcessEnv,
    /** `--playbook`: the file every run is judged against (default: the file each run started from). */
    private readonly playbook?: string,
  ) {}

  /** The newest runs, grouped by environment (environments in the order of their newest run). */
  async list(limit = 200): Promise<{ environment: string; runs: RunRow[] }[]> {
    const groups = new Map<string, RunRow[]>();
    const leases = new Map<string, LeaseInfo | undefined>();
    for (const r of await this.store.listRuns({ limit })) {
      const rows = groups.get(r.environment) ?? [];
      groups.set(r.environment, rows);
      let state: RunState;
      try {
        state = await this.fold(r.runId);
      } catch (e) {
        if (!isCutoverError(e, ErrorCode.JournalCorrupt)) throw e;
        rows.push({ ...r, status: "damaged", driverGone: false, damage: e.message });
        continue;
      }
      if (!leases.has(r.environment)) leases.set(r.environment, await this.store.readLease(r.environment));
      const step =
        state.pause?.stepId ?? state.order.find((id) => ["running", "failed"].includes(state.steps[id]!.status));
      rows.push({
        runId: r.runId,
        playbook: state.playbook.name,
        status: state.status,
        ...(step ? { step } : {}),
        startedAt: state.startedAt,
        updatedAt: state.updatedAt,
        driverGone: driverGone(state, leases.get(r.environment)),
      });
    }
    return [...groups].map(([environment, runs]) => ({ environment, runs }));
  }

  /** One run in full: steps, lease, timeline, what abort would undo, and which decisions it can take. */
  async view(runId: string): Promise<RunView> {
    const state = await this.fold(runId);
    const { events } = this.runs.get(runId)!;
    const loaded = this.load(this.playbook ?? state.playbook.file);
    const lease = await this.store.readLease(state.environment);
    const live = isLeaseLive(lease) ? lease : undefined;
    const specs = loaded ? leafSpecs(buildPlan(loaded.playbook.steps, state.params)) : new Map();
    const view: RunView = {
      state,
      steps: state.order.map((id) => {
        const st = state.steps[id]!;
        const action = specs.get(st.stepId)?.action;
        return { ...st, ...(action ? { action } : {}) };
      }),
      lease: live ? { holder: live.holder, expiresAt: live.expiresAt, thisRun: live.runId === state.runId } : null,
      driverGone: driverGone(state, lease),
      abortPreview: isFinished(state) ? [] : abortPreview(state, loaded),
      timeline: buildTimeline(events),
      can: decisionsFor(state, driverGone(state, lease)),
    };
    const redactor = runRedactor(loaded, this.env);
    return redactor.redactJson(view as unknown as Json) as unknown as RunView;
  }

  /**
   * The run's state, folded once and brought up to date with only the events appended since. One read per run
   * at a time: two refreshes at once (two tabs) would otherwise both apply the same new events.
   */
  private fold(runId: string): Promise<RunState> {
    const previous = this.reading.get(runId) ?? Promise.resolve(undefined);
    const next = previous.catch(() => undefined).then(() => this.readNew(runId));
    this.reading.set(runId, next);
    void next
      .finally(() => {
        if (this.reading.get(runId) === next) this.reading.delete(runId);
      })
      .catch(() => undefined);
    return next;
  }

  private async readNew(runId: string): Promise<RunState> {
    const known = this.runs.get(runId);
    if (!known) {
      const events = await this.store.read(runId);
      const state = foldRun(events);
      this.runs.set(runId, { events, state });
      return state;
    }
    for (const e of await this.store.read(runId, known.state.lastSeq)) {
      applyEvent(known.state, e);
      known.events.push(e);
    }
    return known.state;
  }

  /** The playbook, re-read only when the file changed (a refresh a second must not re-validate it each time). */
  private load(file: string): LoadedPlaybook | undefined {
    let mtimeMs = -1;
    try {
      mtimeMs = fs.statSync(file).mtimeMs;
    } catch {
      // gone: tryLoad says undefined
    }
    const cached = this.playbooks.get(file);
    if (cached && cached.mtimeMs === mtimeMs) return cached.loaded;
    const loaded = tryLoad(file);
    this.playbooks.set(file, { mtimeMs, loaded });
    return loaded;
  }
}

/** The decisions a run can take as it stands (decide() checks again under the lease, and says why not). */
function decisionsFor(s: RunState, gone: boolean): RunView["can"] {
  if (isFinished(s)) return { abort: false };
  const can: RunView["can"] = { abort: s.status !== "aborting" || gone };
  if (s.status === "paused" && s.pause?.reason === "approval" && s.pause.stepId) can.approve = s.pause.stepId;
  const stuck =
    s.status === "paused" && s.pause?.reason !== "approval"
      ? s.pause?.stepId
      : s.status === "interrupted" || gone
        ? s.order.find((id) => ["failed", "running"].includes(s.steps[id]!.status))
        : undefined;
  if (stuck) {
    can.retry = stuck;
    can.skip = stuck;
  }
  return can;
}

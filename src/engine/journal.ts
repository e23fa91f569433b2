/**
 * The run's single writer: appends events through the store in order (parallel
 * steps share it), keeps the folded state current, and tells observers
 * (renderers, JSON output) about each event once it is durable.
 */
import type { RunEvent, RunEventBody } from "./events.js";
import { applyEvent, foldRun, type RunState } from "./reducer.js";
import type { Fence, RunStore } from "./store.js";

export type EventListener = (event: RunEvent, state: RunState) => void;

export class Journal {
  private tail: Promise<unknown> = Promise.resolve();
  private listeners: EventListener[] = [];
  fence?: Fence;
  /** The `run.started` event when this journal was just created (for observers attached later). */
  created?: RunEvent;

  private constructor(
    readonly store: RunStore,
    readonly runId: string,
    public state: RunState,
  ) {}

  /** Start a new run: its first event is `run.started`, appended at sequence 0. */
  static async create(store: RunStore, runId: string, started: Extract<RunEventBody, { type: "run.started" }>, fence?: Fence): Promise<Journal> {
    const [e] = await store.append(runId, [started], 0, fence);
    const j = new Journal(store, runId, foldRun([e!]));
    j.fence = fence;
    j.created = e;
    return j;
  }

  static async open(store: RunStore, runId: string): Promise<Journal> {
    return new Journal(store, runId, foldRun(await store.read(runId)));
  }

  onEvent(l: EventListener): void {
    this.listeners.push(l);
  }

  /** Durable when it resolves: the next side effect may begin. */
  append(body: RunEventBody): Promise<RunEvent> {
    const p = this.tail.then(async () => {
      const [e] = await this.store.append(this.runId, [body], this.state.lastSeq, this.fence);
      applyEvent(this.state, e!);
      for (const l of this.listeners) l(e!, this.state);
      return e!;
    });
    // A failed append must not wedge later ones; the caller sees the rejection.
    this.tail = p.catch(() => undefined);
    return p;
  }
}

/**
 * The run's single writer: appends events through the store in order (parallel
 * steps share it), keeps the folded state current, and tells observers
 * (renderers, JSON output) about each event once it is durable.
 */
import { JOURNAL_FORMAT_VERSION, type RunEvent, type RunEventBody } from "./events.js";
import { applyEvent, foldRun, type RunState } from "./reducer.js";
import type { Fence, RunStore } from "../core/run-store.js";

export type EventListener = (event: RunEvent, state: RunState) => void;

/** At most this many events per store call: Table Storage transactions take 100 operations (one is the head entity). */
const MAX_BATCH = 99;

interface Pending {
  body: RunEventBody;
  resolve(e: RunEvent): void;
  reject(e: unknown): void;
}

export class Journal {
  private queue: Pending[] = [];
  private flushing = false;
  private listeners: EventListener[] = [];
  fence?: Fence;
  /** The events this journal was just created with, `run.started` first (for observers attached later). */
  created?: RunEvent[];

  private constructor(
    readonly store: RunStore,
    readonly runId: string,
    public state: RunState,
  ) {}

  /**
   * Start a new run: its first event is `run.started`, appended
   * at sequence 0, with the journal format it is written in, and
   * `following` (the admission, a link) in the same store call: one
   * durable write, not one each, before the first step can start.
   */
  static async create(
    store: RunStore,
    runId: string,
    started: Extract<RunEventBody, { type: "run.started" }>,
    fence?: Fence,
    following: RunEventBody[] = [],
  ): Promise<Journal> {
    const events = await store.append(
      runId,
      [{ ...started, formatVersion: JOURNAL_FORMAT_VERSION }, ...following],
      0,
      fence,
    );
    const j = new Journal(store, runId, foldRun(events));
    j.fence = fence;
    j.created = events;
    return j;
  }

  static async open(store: RunStore, runId: string): Promise<Journal> {
    return new Journal(store, runId, foldRun(await store.read(runId)));
  }

  onEvent(l: EventListener): void {
    this.listeners.push(l);
  }

  /**
   * Durable when it resolves: the next side effect may begin. Events that
   * parallel members append while a store call is in flight are group-committed
   * in the next call (one round trip for many members, in order).
   */
  append(body: RunEventBody): Promise<RunEvent> {
    return new Promise<RunEvent>((resolve, reject) => {
      this.queue.push({ body, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          const events = await this.store.append(
            this.runId,
            batch.map((p) => p.body),
            this.state.lastSeq,
            this.fence,
          );
          events.forEach((e, i) => {
            applyEvent(this.state, e);
            for (const l of this.listeners) l(e, this.state);
            batch[i]!.resolve(e);
          });
        } catch (e) {
          // Nothing of a failed batch was written (append is atomic); each caller sees the error.
          for (const p of batch) p.reject(e);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}

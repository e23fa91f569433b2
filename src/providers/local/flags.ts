/**
 * The supervisor's flag store: named JSON values with a global revision.
 * Apps long-poll it; each poll says which revision the app has applied, so a
 * write can wait until every running slot confirms it (a `flag.set` of
 * MaintenanceMode returns only once no slot still accepts writes).
 *
 * Per-slot flags: a flag named `Name@<slot>` (`MaintenanceMode@blue`) is
 * that slot's own value of `Name`. Each app sees `Name` with its slot's value
 * in place of the shared one, and no other slot's, so the old version can be
 * in maintenance while the new one already works (CQRS Journey V1 -> V2).
 *
 * A write wakes, and waits for, only the processes whose view it changed:
 * `ProcessorMaintenance@blue` is not waited on by green's apps, which would
 * see nothing new (a busy app there would hold the write up for nothing).
 */
import type { Json } from "../../core/json.js";
import type { FlagRecord } from "./types.js";
import { isPidAlive } from "./files.js";
import type { SlotName } from "../../core/slots.js";

export class FlagConflict extends Error {
  constructor(name: string) {
    super(`flag ${name} changed since it was read (etag mismatch)`);
  }
}

interface Poller {
  view: ViewKey;
  since: number;
  respond(): void;
}

/** Whose view of the flags: a slot's, or that of a process outside any slot (the shared flags only). */
type ViewKey = SlotName | "none";
const VIEWS: ViewKey[] = ["blue", "green", "none"];
const viewKey = (slot: SlotName | undefined): ViewKey => slot ?? "none";

export class FlagBoard {
  private flags: Record<string, FlagRecord>;
  private rev: number;
  private readonly pollers = new Set<Poller>();
  /** Revision each process of a slot confirmed (its app, and its workers if they read flags): slot -> pid -> rev. */
  private readonly applied: Record<SlotName, Map<number, number>> = { blue: new Map(), green: new Map() };
  private readonly ackWaiters = new Set<() => void>();
  /**
   * The revision at which each view last changed: a process that applied it is up to date. Starts at the current
   * revision (after a restart, every process confirms once).
   */
  private readonly viewRev: Record<ViewKey, number>;

  constructor(
    initial: { flags: Record<string, FlagRecord>; rev: number },
    private readonly persist: () => Promise<void>,
    /** Called on a process's first poll: it reads flags, so writes must wait for it. */
    private readonly onFirstPoll: (slot: SlotName, pid: number) => void = () => undefined,
  ) {
    this.flags = { ...initial.flags };
    this.rev = initial.rev;
    this.viewRev = { blue: initial.rev, green: initial.rev, none: initial.rev };
  }

  get revision(): number {
    return this.rev;
  }

  records(): Record<string, FlagRecord> {
    return { ...this.flags };
  }

  values(): Record<string, Json> {
    return Object.fromEntries(Object.entries(this.flags).map(([k, v]) => [k, v.value]));
  }

  /** The flags as the app in `slot` sees them: `Name@<slot>` in place of `Name`, other slots' values left out. */
  viewFor(slot: SlotName | undefined): Record<string, Json> {
    const shared: Record<string, Json> = {};
    const own: Record<string, Json> = {};
    for (const [key, rec] of Object.entries(this.flags)) {
      const at = key.lastIndexOf("@");
      if (at < 0) shared[key] = rec.value;
      else if (slot !== undefined && key.slice(at + 1) === slot) own[key.slice(0, at)] = rec.value;
    }
    return { ...shared, ...own };
  }

  get(name: string): FlagRecord | undefined {
    return this.flags[name];
  }

  async set(name: string, value: Json, ifEtag?: string): Promise<number> {
    this.checkEtag(name, ifEtag);
    const rev = this.rev + 1;
    this.changeViews(() => {
      this.flags = { ...this.flags, [name]: { value, rev } };
      this.rev = rev;
    });
    await this.persist();
    this.wakePollers();
    return rev;
  }

  async delete(name: string, ifEtag?: string): Promise<number> {
    if (!(name in this.flags)) return this.rev;
    this.checkEtag(name, ifEtag);
    const next = { ...this.flags };
    delete next[name];
    const rev = this.rev + 1;
    this.changeViews(() => {
      this.flags = next;
      this.rev = rev;
    });
    await this.persist();
    this.wakePollers();
    return rev;
  }

  /** Apply `write`, noting each view it changed as changed at the new revision. */
  private changeViews(write: () => void): void {
    const before = VIEWS.map((v) => JSON.stringify(this.viewFor(v === "none" ? undefined : v)));
    write();
    VIEWS.forEach((v, i) => {
      if (JSON.stringify(this.viewFor(v === "none" ? undefined : v)) !== before[i]) this.viewRev[v] = this.rev;
    });
  }

  /** Whether a process of `view` that applied `since` has something new to apply (or a revision from the future). */
  private behind(view: ViewKey, since: number): boolean {
    return since < this.viewRev[view] || since > this.rev;
  }

  private checkEtag(name: string, ifEtag: string | undefined): void {
    if (ifEtag === undefined) return;
    const current = this.flags[name];
    if (String(current?.rev ?? "") !== ifEtag) throw new FlagConflict(name);
  }

  /** A slot's app asks for flags newer than `since` (which it has applied). */
  poll(
    slot: SlotName | undefined,
    pid: number | undefined,
    since: number,
    waitMs: number,
    respond: (body: { rev: number; flags: Record<string, Json> }) => void,
  ): () => void {
    if (slot && pid) this.ack(slot, pid, since);
    let done = false;
    const poller: Poller = {
      view: viewKey(slot),
      since,
      respond: () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.pollers.delete(poller);
        respond({ rev: this.rev, flags: this.viewFor(slot) });
      },
    };
    const timer = setTimeout(() => poller.respond(), waitMs);
    this.pollers.add(poller);
    if (this.behind(poller.view, since)) poller.respond();
    return () => {
      done = true;
      clearTimeout(timer);
      this.pollers.delete(poller);
    };
  }

  private wakePollers(): void {
    for (const p of [...this.pollers]) if (this.behind(p.view, p.since)) p.respond();
  }

  private ack(slot: SlotName, pid: number, rev: number): void {
    const seen = this.applied[slot];
    if (!seen.has(pid)) {
      // Forget processes that are gone, so the map holds only the slot's live ones.
      for (const old of [...seen.keys()]) if (!isPidAlive(old)) seen.delete(old);
      this.onFirstPoll(slot, pid);
    }
    seen.set(pid, rev);
    for (const w of [...this.ackWaiters]) w();
  }

  appliedBy(slot: SlotName, pid: number | undefined): number | undefined {
    return pid === undefined ? undefined : this.applied[slot].get(pid);
  }

  /** The processes of `slot` that read flags and still run (an app's workers among them). */
  readers(slot: SlotName): number[] {
    return [...this.applied[slot].keys()].filter((pid) => isPidAlive(pid));
  }

  /**
   * Wait until each given slot process is up to date with revision `rev`: it confirmed `rev`, or its slot's view
   * has not changed since a revision it confirmed. Returns the slots that did not confirm in time.
   */
  async waitApplied(rev: number, procs: { slot: SlotName; pid: number }[], timeoutMs: number): Promise<SlotName[]> {
    const pending = () =>
      procs
        .filter((p) => (this.appliedBy(p.slot, p.pid) ?? -1) < Math.min(rev, this.viewRev[p.slot]))
        .map((p) => p.slot);
    if (pending().length === 0) return [];
    return new Promise((resolve) => {
      const check = () => {
        const left = pending();
        if (left.length === 0) finish(left);
      };
      const finish = (left: SlotName[]) => {
        clearTimeout(timer);
        this.ackWaiters.delete(check);
        resolve(left);
      };
      const timer = setTimeout(() => finish(pending()), timeoutMs);
      this.ackWaiters.add(check);
    });
  }

  close(): void {
    for (const p of [...this.pollers]) p.respond();
  }
}

/**
 * `cutover unlock <environment>`: free a lease. Without --force only a lease
 * that has expired or whose holder process is gone; with --force any lease,
 * as a deliberate act journaled in the holder's run, whose later writes are
 * then refused by the fencing token.
 */
import { Journal } from "../engine/journal.js";
import { isLeaseLive, type LeaseInfo } from "../core/run-store.js";
import { CutoverError, ErrorCode, isCutoverError } from "../core/errors.js";
import { currentActor } from "../runtime.js";
import { openStore, type LocateOptions } from "./inspect.js";
import { holderIsDeadLocalProcess } from "./session.js";

export async function unlock(
  environment: string,
  opts: LocateOptions & { force?: boolean },
): Promise<{ released?: LeaseInfo; journaledIn?: string }> {
  const actor = currentActor(opts.env);
  const { store, close } = await openStore(opts);
  try {
    let current: LeaseInfo | undefined;
    try {
      current = await store.readLease(environment);
    } catch (e) {
      // A damaged lease record is exactly what --force is for: the store's forceLease replaces it.
      if (!opts.force || !isCutoverError(e, ErrorCode.JournalCorrupt)) throw e;
      const { lease } = await store.forceLease({
        environment,
        holder: `${actor.user}@${actor.host} pid ${actor.pid} unlock`,
        ttlMs: 30_000,
      });
      await store.releaseLease(lease);
      return { released: { environment, holder: "(damaged lease record)", token: 0, acquiredAt: "", expiresAt: "" } };
    }
    if (!current) return {};
    const stale = !isLeaseLive(current) || holderIsDeadLocalProcess(current, actor.host);
    if (!stale && !opts.force) {
      throw new CutoverError(
        ErrorCode.Locked,
        `environment ${environment} is locked by ${current.holder} until ${current.expiresAt}, and that holder ` +
          `looks alive`,
        {
          hint: `if you are sure it is stuck, take it with: cutover unlock ${environment} --force (journaled)`,
        },
      );
    }
    const { lease } = await store.forceLease({
      environment,
      holder: `${actor.user}@${actor.host} pid ${actor.pid} unlock`,
      ttlMs: 30_000,
    });
    let journaledIn: string | undefined;
    if (current.runId) {
      try {
        const j = await Journal.open(store, current.runId);
        j.fence = { environment, token: lease.token };
        await j.append({ type: "lease.forced", environment, by: actor, previousHolder: current.holder });
        journaledIn = current.runId;
      } catch {
        journaledIn = undefined; // the run's journal is gone or unreadable; the unlock itself still stands
      }
    }
    await store.releaseLease(lease);
    return { released: current, journaledIn };
  } finally {
    await close();
  }
}

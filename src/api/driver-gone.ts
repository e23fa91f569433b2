/** Whether the process driving a run is gone (apart from api/session.ts, which loads what running needs). */
import os from "node:os";
import { holderOf } from "../core/lease-holder.js";
import { isGoneFromThisHost } from "../core/process-identity.js";
import { isLeaseLive, type LeaseInfo } from "../core/run-store.js";
import type { RunState } from "../engine/reducer.js";

/**
 * True when the lease's holder is a process on this host that no longer exists (crashed): safe to take over at once.
 */
export function holderIsDeadLocalProcess(lease: LeaseInfo, host: string): boolean {
  const holder = holderOf(lease);
  return holder !== undefined && holder.host === host && isGoneFromThisHost(holder.host, holder.pid);
}

/**
 * A run the journal shows running (or aborting) that nothing drives any more:
 * its lease expired or was released, or the process holding it on this host
 * is gone (a crash, SIGKILL, a cancelled CI job). `resume` continues it and
 * `abort` undoes it; `status` says so instead of showing it as running.
 */
export function driverGone(state: RunState, lease: LeaseInfo | undefined): boolean {
  if (state.status !== "running" && state.status !== "aborting") return false;
  if (!lease || !isLeaseLive(lease) || lease.runId !== state.runId) return true;
  return holderIsDeadLocalProcess(lease, os.hostname());
}

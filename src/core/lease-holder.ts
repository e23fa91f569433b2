/**
 * Who holds a lease, as data: `{ user, host, pid, runId }`. Stores keep it
 * structured (`LeaseInfo.by`) next to the display form (`LeaseInfo.holder`,
 * `user@host pid 1234 run <id>`), which older versions of cutover read and
 * write. A lease written by an older version has only the display form; the
 * one parser below reads it back.
 */
import type { LeaseHolder } from "./lease-holder-schema.js";

export type { LeaseHolder };

/** The display form: `alice@ci-7 pid 4242 run r2026…` (also what older versions stored). */
export function formatHolder(h: LeaseHolder): string {
  return `${h.user}@${h.host} pid ${h.pid}${h.runId !== undefined ? ` run ${h.runId}` : ""}`;
}

/** `user@host pid N`, optionally followed by ` run <id>` or other words (` unlock`). */
const DISPLAY_FORM = /^(.*)@(\S+) pid (\d+)(?: run (\S+))?(?:\s.*)?$/;

/** Read the display form back; undefined for text of another shape (a hand-written holder). */
export function parseHolder(text: string | null | undefined): LeaseHolder | undefined {
  const m = DISPLAY_FORM.exec(text ?? "");
  if (!m) return undefined;
  const pid = Number(m[3]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return { user: m[1]!, host: m[2]!, pid, ...(m[4] !== undefined ? { runId: m[4] } : {}) };
}

/** Who holds `lease`: its structured holder, else its display form parsed (a lease of an older version). */
export function holderOf(lease: { holder: string; by?: LeaseHolder }): LeaseHolder | undefined {
  return lease.by ?? parseHolder(lease.holder);
}

/**
 * The expiry of a package SAS URL (`azure.deploy` run-from-package mode).
 *
 * A slot that runs from a package URL fetches it again on every restart,
 * scale-out and swap ("Run your app in Azure App Service directly from a ZIP
 * package"): once the SAS expires, the slot cannot start, and a swap back to
 * the previous release fails the same way. The managed-identity variant
 * (`packageIdentity`: WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID) avoids
 * this; a SAS that expires before the run can still need it is refused unless
 * the step says `allowExpiringSas: true`.
 */
import { ActionFailure, type ActionLogger } from "../core/action.js";
import { formatDuration } from "../core/duration.js";

/** The `se` (signed expiry) of a SAS URL: a Date, null for a SAS without one, undefined when it is no SAS. */
export function sasExpiry(url: string): Date | null | undefined {
  let query: URLSearchParams;
  try {
    query = new URL(url).searchParams;
  } catch {
    return undefined;
  }
  if (!query.has("sig")) return undefined;
  const se = query.get("se");
  if (!se) return null;
  const at = new Date(se); // URLSearchParams already decoded `%3A`
  return Number.isNaN(at.getTime()) ? null : at;
}

/**
 * Refuse a package SAS that expires within `mustOutliveMs` of now (the run's remaining time plus a margin),
 * unless `allow`; warn about any SAS expiry otherwise. Never prints the URL (it holds the signature).
 */
export function checkPackageSas(
  url: string,
  mustOutliveMs: number,
  allow: boolean,
  log: ActionLogger,
  now: Date = new Date(),
): void {
  const expiry = sasExpiry(url);
  if (expiry === undefined) return;
  const hint =
    "Give the slot a managed identity with Storage Blob Data Reader on the container and set `packageIdentity` " +
    "(the URL then needs no SAS), or issue a SAS valid for longer.";
  if (expiry === null) {
    log.warn(
      "the package URL is a SAS without an expiry (`se=`): a stored access policy decides how long it works, which " +
        "cutover cannot check. " +
        hint,
    );
    return;
  }
  const left = expiry.getTime() - now.getTime();
  const when = `${expiry.toISOString()} (${left > 0 ? `in ${formatDuration(left)}` : "already expired"})`;
  if (left >= mustOutliveMs) {
    log.warn(
      `the package SAS expires at ${when}: after that the slot cannot restart, scale out or be swapped back. ${hint}`,
    );
    return;
  }
  if (!allow) {
    throw new ActionFailure(
      `the package SAS expires at ${when}, less than sasMustOutlive (${formatDuration(mustOutliveMs)}) from now: ` +
        "the slot, and a swap back to it, would stop working while this release may still need them",
      { retryable: false, hint: `${hint} To deploy it anyway, set \`allowExpiringSas: true\` on the step.` },
    );
  }
  log.warn(
    `allowExpiringSas: true: deploying a package whose SAS expires at ${when}; the slot stops working at restart ` +
      "after that",
  );
}

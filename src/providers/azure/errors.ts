/**
 * Turn Azure SDK failures into errors a person on call can act on: which role
 * is missing, which resource does not exist, that someone else changed the
 * thing under us. Throttling (429/503 with Retry-After) is retried inside the
 * SDK pipeline before we ever get here; what reaches us is marked retryable
 * so the step's retry policy can take over.
 *
 * No @azure/* import here: actions reach this module at load time, and the
 * SDK is only loaded once an Azure provider is created.
 */
import { CutoverError, ErrorCode, isCutoverError } from "../../core/errors.js";

type AzureService =
  | "App Service"
  | "App Configuration"
  | "Table Storage"
  | "Queue Storage"
  | "Container Apps"
  | "Azure Monitor"
  | "Service Bus";

/** The built-in role that grants what cutover does on each service. */
const requiredRole: Record<AzureService, string> = {
  "App Service": "Website Contributor (or Contributor) on the web app",
  "App Configuration": "App Configuration Data Owner on the store",
  "Table Storage": "Storage Table Data Contributor on the storage account",
  "Queue Storage": "Storage Queue Data Reader on the queue (or the storage account)",
  "Container Apps": "Container Apps Contributor (or Contributor) on the container app",
  "Azure Monitor": "Log Analytics Reader on the workspace",
  // Runtime counts come from the management (ATOM) API: Data Receiver is not enough.
  "Service Bus": "Azure Service Bus Data Owner on the namespace (or the queue / topic)",
};

export interface AzureErrorContext {
  service: AzureService;
  /** What we were doing: `swap staging→production`, `read flag MaintenanceMode`. */
  operation: string;
  /** The resource, for 404s: `web app shop-api slot staging`. */
  resource: string;
}

/** The fields of @azure/core-rest-pipeline's RestError this module reads. */
interface RestErrorLike extends Error {
  statusCode?: number;
  code?: string;
  details?: unknown;
}

/**
 * Same test as the SDK's isRestError (which also matches by name, so errors
 * from another copy of the pipeline count), without loading the SDK.
 */
function isRestError(e: unknown): e is RestErrorLike {
  if (typeof e !== "object" || e === null) return false;
  const { name, message } = e as { name?: unknown; message?: unknown };
  return name === "RestError" && typeof message === "string";
}

/** HTTP status of an SDK error, if it has one. */
export function statusOf(e: unknown): number | undefined {
  if (isRestError(e)) return e.statusCode;
  const s = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === "number" ? s : undefined;
}

/** The service's own error code (ARM body `error.code`, Tables `x-ms-error-code`). */
export function serviceCodeOf(e: unknown): string | undefined {
  if (!isRestError(e)) return undefined;
  const details = e.details as { errorCode?: unknown } | undefined;
  if (typeof details?.errorCode === "string") return details.errorCode;
  return e.code;
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === "AbortError" || e.message === "Operation was canceled");
}

function isCredentialError(e: unknown): boolean {
  return (
    e instanceof Error &&
    (e.name === "CredentialUnavailableError" ||
      e.name === "AuthenticationError" ||
      e.name === "AggregateAuthenticationError")
  );
}

/** Keep the service's message short and single-line; raw odata JSON is common. */
function shortMessage(e: Error): string {
  let m = e.message;
  try {
    const parsed = JSON.parse(m) as { "odata.error"?: { message?: { value?: string } } };
    m = parsed["odata.error"]?.message?.value ?? m;
  } catch {
    /* not JSON */
  }
  m = m.split("\n")[0] ?? m;
  return m.length > 300 ? m.slice(0, 300) + "…" : m;
}

export function translateAzureError(e: unknown, ctx: AzureErrorContext): unknown {
  if (isCutoverError(e) || isAbort(e)) return e;
  const where = `${ctx.service}: ${ctx.operation} (${ctx.resource})`;
  if (isCredentialError(e)) {
    return new CutoverError(
      ErrorCode.Config,
      `${where}: could not get an Entra ID token: ${shortMessage(e as Error)}`,
      {
        cause: e,
        hint:
          "Choose the identity with `auth.mode` (default | cli | managed-identity | environment | " +
          "workload-identity) or CUTOVER_AZURE_AUTH; for `cli`, run `az login` first.",
      },
    );
  }
  const status = statusOf(e);
  if (status === undefined) {
    // Network-level failure (reset, timeout, DNS): the SDK already retried.
    const msg = e instanceof Error ? shortMessage(e) : String(e);
    return new CutoverError(ErrorCode.Provider, `${where}: ${msg}`, { cause: e, retryable: true });
  }
  const code = serviceCodeOf(e);
  const detail = `HTTP ${status}${code ? ` ${code}` : ""}`;
  const msg = e instanceof Error ? shortMessage(e) : "";
  switch (true) {
    case status === 401:
      return new CutoverError(ErrorCode.Provider, `${where}: not authenticated (${detail})`, {
        cause: e,
        hint:
          `Check the identity cutover runs as (auth.mode) and that it belongs to the right tenant; it needs ` +
          `${requiredRole[ctx.service]}.`,
        details: { status, code },
      });
    case status === 403:
      return new CutoverError(
        ErrorCode.Provider,
        `${where}: permission denied (${detail}); the identity is missing the role ${requiredRole[ctx.service]}`,
        {
          cause: e,
          hint:
            `Grant ${requiredRole[ctx.service]} to the identity cutover runs as (see infra/azure/README.md), then ` +
            `retry the step.`,
          details: { status, code },
        },
      );
    case status === 404:
      return new CutoverError(ErrorCode.Provider, `${where}: ${ctx.resource} does not exist (${detail})`, {
        cause: e,
        hint:
          "Check the names in the playbook's environment block " +
          "(subscription, resource group, app, slot, store, table).",
        details: { status, code },
      });
    case status === 409 && ctx.service === "App Service" && appServiceConflict(msg).kind !== "other":
      return appServiceConflictError(appServiceConflict(msg), where, e, { status, code });
    case status === 409 || status === 412:
      return new CutoverError(ErrorCode.Provider, `${where}: changed by someone else meanwhile (${detail}): ${msg}`, {
        cause: e,
        hint:
          "Another operation or person changed it since cutover read it. Look at its current state, then `cutover " +
          "retry` the step.",
        details: { status, code },
        retryable: true,
      });
    case status === 429 || status === 503:
      return new CutoverError(ErrorCode.Provider, `${where}: throttled or unavailable after retries (${detail})`, {
        cause: e,
        hint: "The service asked us to slow down (Retry-After was honoured); retry the step later.",
        details: { status, code },
        retryable: true,
      });
    default:
      return new CutoverError(ErrorCode.Provider, `${where}: ${detail}: ${msg}`, {
        cause: e,
        details: { status, code },
        retryable: status >= 500 || status === 408,
      });
  }
}

/**
 * What an App Service 409 means, from its message (the code is always
 * `Conflict`): another operation running on the site (azure-pipelines-tasks
 * #11384: "Cannot modify this site because another operation is in progress
 * … OperationName: …"), a slot left prepared for swap by a preview or a failed
 * swap (azure-cli #27820), swap with preview refused under site
 * authentication (MicrosoftDocs/azure-docs PR #102500).
 */
type AppServiceConflict =
  | { kind: "operation-in-progress"; operationName?: string }
  | { kind: "prepared-for-swap" }
  | { kind: "preview-with-auth" }
  | { kind: "other" };

function appServiceConflict(message: string): AppServiceConflict {
  if (/another operation is in progress/i.test(message)) {
    const name = /OperationName:\s*([\w.-]+)/i.exec(message)?.[1];
    return { kind: "operation-in-progress", ...(name ? { operationName: name } : {}) };
  }
  if (/prepared for swap/i.test(message)) return { kind: "prepared-for-swap" };
  if (/swap with preview/i.test(message) && /authentication/i.test(message)) return { kind: "preview-with-auth" };
  return { kind: "other" };
}

/** The error a person reads for an App Service 409 of a known kind (the SDK's error is its cause). */
function appServiceConflictError(
  c: AppServiceConflict,
  where: string,
  cause: unknown,
  details: { status: number; code?: string },
): CutoverError {
  switch (c.kind) {
    case "operation-in-progress":
      return new CutoverError(
        ErrorCode.Provider,
        `${where}: another operation is in progress on the site${c.operationName ? ` (${c.operationName})` : ""}`,
        {
          cause,
          hint:
            "Wait for that operation to finish (Activity log / Deployment Center of the web app), then `cutover " +
            "retry` the step.",
          details: { ...details, conflict: c.kind, ...(c.operationName ? { operationName: c.operationName } : {}) },
          retryable: true,
        },
      );
    case "prepared-for-swap":
      return new CutoverError(
        ErrorCode.Provider,
        `${where}: the slot is prepared for swap (a pending swap with preview, or a swap that failed part-way); ` +
          `its settings cannot change until the swap is completed or reset`,
        {
          cause,
          hint:
            "Complete the swap (azure.swap), or reset it: `cutover abort` resets it, or az webapp deployment slot " +
            "swap --action reset --slot <slot>.",
          details: { ...details, conflict: c.kind },
          retryable: false,
        },
      );
    default:
      return new CutoverError(
        ErrorCode.Provider,
        `${where}: swap with preview cannot be used while site authentication is enabled on one of the slots`,
        {
          cause,
          hint:
            "Use azure.swap without azure.swap-preview (warm the slot with azure.warmup before it), or turn site " +
            "authentication off.",
          details: { ...details, conflict: c.kind },
          retryable: false,
        },
      );
  }
}

/** Run `fn`, translating whatever it throws. */
export async function azureCall<T>(ctx: AzureErrorContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw translateAzureError(e, ctx);
  }
}

/**
 * What the App Service provider exposes besides its client: the slot names
 * and shapes the `azure.*` actions use. Kept free of @azure/* imports so the
 * actions (and the CLI that lists them) load without the SDK.
 */
export const PRODUCTION = "production";

interface SwapStatus {
  timestampUtc: string;
  sourceSlotName: string;
  destinationSlotName: string;
}

export interface SlotInfo {
  app: string;
  slot: string;
  /** `Running` or `Stopped`. */
  state: string;
  defaultHostName: string;
  /** The last completed swap involving this slot. */
  slotSwapStatus?: SwapStatus;
  /** Set while a swap with preview is applied but not completed. */
  targetSwapSlot?: string;
  inProgressOperationId?: string;
}

export interface StickyNames {
  appSettingNames: string[];
  connectionStringNames: string[];
}

/** A long-running operation as the actions see it (a core-lro PollerLike). */
export interface SwapPoller {
  submitted(): Promise<void>;
  serialize(): Promise<string>;
  pollUntilDone(options?: { abortSignal?: AbortSignal }): Promise<void>;
  onProgress(cb: (state: { status: string }) => void): unknown;
  readonly isDone: boolean;
}

export interface AppServiceSlotsOptions {
  subscriptionId: string;
  resourceGroup: string;
  /** The app an action addresses when it names none. */
  defaultApp?: string;
  /** The deployment slot actions use when they name none (usually `staging`). */
  defaultSlot: string;
  /** Poll interval of long-running operations. */
  pollIntervalMs: number;
  preserveVnet: boolean;
  /** Extra CA (PEM) to trust when requesting the slots' own hostnames (warm-up). */
  tlsCa?: string;
}

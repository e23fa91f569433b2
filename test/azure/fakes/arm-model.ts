/**
 * The state behind the fake ARM App Service server: apps, their slots, the
 * sticky (slot) setting names, and what a swap does to them. Modelled on
 * "Examine slot swapping" in the App Service docs, simplified: non-sticky app
 * settings, connection strings and the container image move with the swap;
 * sticky ones stay; a preview (applySlotConfig) gives the source slot the
 * target's sticky values until it is completed or reset.
 */
export interface SlotState {
  name: string;
  state: "Running" | "Stopped";
  appSettings: Record<string, string>;
  connectionStrings: Record<string, { value: string; type: string }>;
  linuxFxVersion: string;
  /** Production's "testing in production" routing rules (`siteConfig.experiments.rampUpRules`). */
  rampUpRules?: { name?: string; actionHostName?: string; reroutePercentage?: number }[];
  slotSwapStatus?: { timestampUtc: string; sourceSlotName: string; destinationSlotName: string };
  targetSwapSlot?: string;
  /** The source's own sticky values, saved while a preview is applied. */
  stickyBeforePreview?: Record<string, string>;
  restarts: number;
  /**
   * Behaviour of the slot's site: answer `failStatus` to the first `failFirst`
   * requests; with `goodAnswersLeft`, answer well that many times, then fail.
   */
  warmup: { failFirst: number; failStatus: number; requests: number; goodAnswersLeft?: number };
}

export interface AppState {
  name: string;
  location: string;
  sticky: { appSettingNames: string[]; connectionStringNames: string[] };
  slots: Map<string, SlotState>;
  /** Completed swaps (including preview completions), for "never swaps twice" assertions. */
  swaps: number;
  operation?: Operation;
  /** Site authentication (Easy Auth) on: swap with preview is refused with 409. */
  authEnabled?: boolean;
  /** The next N swaps fail after starting and leave both slots "prepared for swap". */
  failSwaps?: number;
  /**
   * Which slots a completed swap stamps with `slotSwapStatus`: the docs do not
   * say; public examples show it on production (the target). Default both.
   */
  swapStatusOn?: "both" | "target" | "source";
}

export interface Operation {
  id: string;
  app: string;
  /** A swap, or any other operation someone runs on the site (a deployment, a scale, a restart). */
  kind: "swap" | "other";
  /** The name App Service reports in its 409 (`SwapSiteSlots` for swaps). */
  name: string;
  source: string;
  target: string;
  polls: number;
  startedAt: number;
  /** An "other" operation ends on its own after this long. */
  durationMs?: number;
  status: "InProgress" | "Succeeded" | "Failed";
}

function newSlot(name: string, settings: Record<string, string> = {}): SlotState {
  return {
    name,
    state: "Running",
    appSettings: { ...settings },
    connectionStrings: {},
    linuxFxVersion: "",
    restarts: 0,
    warmup: { failFirst: 0, failStatus: 503, requests: 0 },
  };
}

export function newApp(
  name: string,
  options: { slots?: string[]; sticky?: string[]; settings?: Record<string, Record<string, string>> } = {},
): AppState {
  const slots = new Map<string, SlotState>();
  for (const s of ["production", ...(options.slots ?? ["staging"])]) slots.set(s, newSlot(s, options.settings?.[s]));
  return {
    name,
    location: "westeurope",
    sticky: { appSettingNames: options.sticky ?? [], connectionStringNames: [] },
    slots,
    swaps: 0,
  };
}

function split<T>(all: Record<string, T>, sticky: string[]): { moving: Record<string, T>; stuck: Record<string, T> } {
  const moving: Record<string, T> = {};
  const stuck: Record<string, T> = {};
  for (const [k, v] of Object.entries(all)) (sticky.includes(k) ? stuck : moving)[k] = v;
  return { moving, stuck };
}

/** Give `slot` the target's sticky values (phase 1 of a swap with preview). */
export function applyPreview(app: AppState, source: SlotState, target: SlotState): void {
  if (!source.stickyBeforePreview)
    source.stickyBeforePreview = split(source.appSettings, app.sticky.appSettingNames).stuck;
  const { moving } = split(source.appSettings, app.sticky.appSettingNames);
  const targetSticky = split(target.appSettings, app.sticky.appSettingNames).stuck;
  source.appSettings = { ...moving, ...targetSticky };
  source.targetSwapSlot = target.name;
  target.targetSwapSlot = source.name;
  source.restarts++;
}

export function resetPreview(app: AppState, source: SlotState): void {
  const target = source.targetSwapSlot ? app.slots.get(source.targetSwapSlot) : undefined;
  if (source.stickyBeforePreview) {
    const { moving } = split(source.appSettings, app.sticky.appSettingNames);
    source.appSettings = { ...moving, ...source.stickyBeforePreview };
  }
  source.stickyBeforePreview = undefined;
  source.targetSwapSlot = undefined;
  if (target) target.targetSwapSlot = undefined;
}

/**
 * App settings App Service keeps per slot without being slot settings ("Which settings are swapped?" in
 * learn.microsoft.com/azure/app-service/deploy-staging-slots): `*_EXTENSION_VERSION`, and the diagnostic log
 * settings' app settings unless both slots set WEBSITE_OVERRIDE_PRESERVE_DEFAULT_STICKY_SLOT_SETTINGS to 0/false.
 */
function implicitlySticky(source: SlotState, target: SlotState): string[] {
  const legacy = [source, target].every((s) =>
    /^(0|false)$/i.test(s.appSettings.WEBSITE_OVERRIDE_PRESERVE_DEFAULT_STICKY_SLOT_SETTINGS ?? ""),
  );
  return [...Object.keys(source.appSettings), ...Object.keys(target.appSettings)].filter(
    (n) => /_EXTENSION_VERSION$/i.test(n) || (!legacy && /^(DIAGNOSTICS_|WEBSITE_HTTPLOGGING_)/i.test(n)),
  );
}

export function completeSwap(app: AppState, source: SlotState, target: SlotState, now: Date): void {
  const names = [...app.sticky.appSettingNames, ...implicitlySticky(source, target)];
  const sourceOwnSticky = source.stickyBeforePreview
    ? { ...split(source.appSettings, names).stuck, ...source.stickyBeforePreview }
    : split(source.appSettings, names).stuck;
  const s = split(source.appSettings, names);
  const t = split(target.appSettings, names);
  source.appSettings = { ...t.moving, ...sourceOwnSticky };
  target.appSettings = { ...s.moving, ...t.stuck };
  const sc = split(source.connectionStrings, app.sticky.connectionStringNames);
  const tc = split(target.connectionStrings, app.sticky.connectionStringNames);
  source.connectionStrings = { ...tc.moving, ...sc.stuck };
  target.connectionStrings = { ...sc.moving, ...tc.stuck };
  [source.linuxFxVersion, target.linuxFxVersion] = [target.linuxFxVersion, source.linuxFxVersion];
  const status = { timestampUtc: now.toISOString(), sourceSlotName: source.name, destinationSlotName: target.name };
  const on = app.swapStatusOn ?? "both";
  if (on !== "target") source.slotSwapStatus = status;
  if (on !== "source") target.slotSwapStatus = { ...status };
  source.stickyBeforePreview = undefined;
  source.targetSwapSlot = undefined;
  target.targetSwapSlot = undefined;
  source.restarts++;
  target.restarts++;
  app.swaps++;
}

/** Whether a settings write to `slot` is refused: a preview or a failed swap left it "prepared for swap". */
export function preparedForSwap(slot: SlotState): boolean {
  return slot.targetSwapSlot !== undefined;
}

/** What the slot currently serves: the package URL or image, for warm-up bodies and assertions. */
export function versionOf(slot: SlotState): string {
  return slot.appSettings.WEBSITE_RUN_FROM_PACKAGE ?? slot.appSettings.APP_VERSION ?? slot.linuxFxVersion;
}

/**
 * Capability `nginx-upstream` (`provider: nginx`, used by `nginx.swap`): an
 * upstream include file cutover owns, naming the blue or the green servers,
 * and the nginx that reads it. Implemented in src/providers/nginx/client.ts.
 */
import type { SlotName } from "./slots.js";

export interface NginxUpstreamClient {
  readonly options: { readonly upstreamFile: string; readonly slots: Record<SlotName, string[]> };
  /** The URL nginx serves the app on. */
  readonly publicUrl: string;
  /** The include file's text (undefined if absent) and the slot it routes to. */
  read(): Promise<{ text: string | undefined; live: SlotName | undefined }>;
  /** The include file that routes to `slot`. */
  render(slot: SlotName): string;
  /** Replace the include file atomically. */
  write(text: string): Promise<void>;
  /** Check the configuration (`nginx -t`). */
  test(signal?: AbortSignal): Promise<void>;
  /** Reload nginx gracefully. */
  reload(signal?: AbortSignal): Promise<void>;
}

/**
 * The `nginx` provider's client (capability `nginx-upstream`): reads which slot the
 * upstream include file points at, rewrites it atomically, checks the
 * configuration (`nginx -t`) and reloads nginx gracefully.
 */
import { execFile } from "node:child_process";
import fsp from "node:fs/promises";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import { writeFileAtomic } from "../local/files.js";
import type { SlotName } from "../../core/slots.js";

/** The first line of the include file: how cutover knows what it last wrote. */
const MARKER = /^# cutover: live=(blue|green)\b/m;

export interface NginxClientOptions {
  upstreamFile: string;
  slots: Record<SlotName, string[]>;
  serverParams: string;
  publicUrl: string;
  test: string[];
  reload: string[];
  pidFile?: string;
}

export class NginxClient {
  readonly kind = "nginx";
  constructor(readonly options: NginxClientOptions) {}

  get publicUrl(): string {
    return this.options.publicUrl;
  }

  /** The include file's text (undefined if absent) and the slot it routes to. */
  async read(): Promise<{ text: string | undefined; live: SlotName | undefined }> {
    const text = await fsp.readFile(this.options.upstreamFile, "utf8").catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return undefined;
      throw e;
    });
    const m = text === undefined ? null : MARKER.exec(text);
    return { text, live: m ? (m[1] as SlotName) : undefined };
  }

  render(slot: SlotName): string {
    const params = this.options.serverParams.trim();
    const lines = this.options.slots[slot].map((s) => `server ${s}${params ? " " + params : ""};`);
    return `# cutover: live=${slot} (written by cutover; edits are overwritten by the next swap)\n${lines.join("\n")}\n`;
  }

  /** Replace the include file in one rename, so nginx never reads half a file. */
  async write(text: string): Promise<void> {
    await writeFileAtomic(this.options.upstreamFile, text, 0o644);
  }

  /** `nginx -t`: refuses a configuration nginx would not load. */
  async test(signal?: AbortSignal): Promise<void> {
    await run(this.options.test, "configuration test", signal);
  }

  /** Graceful reload: new workers take new connections, old ones finish what they serve. */
  async reload(signal?: AbortSignal): Promise<void> {
    if (this.options.pidFile) {
      const pid = Number((await fsp.readFile(this.options.pidFile, "utf8")).trim());
      if (!Number.isInteger(pid) || pid <= 0) throw new CutoverError(ErrorCode.Provider, `no nginx pid in ${this.options.pidFile}`);
      try {
        process.kill(pid, "SIGHUP");
      } catch (e) {
        throw new CutoverError(ErrorCode.Provider, `cannot signal nginx (pid ${pid}): ${(e as Error).message}`, { retryable: true });
      }
      return;
    }
    await run(this.options.reload, "reload", signal);
  }
}

function run(argv: string[], what: string, signal?: AbortSignal): Promise<void> {
  const [cmd, ...args] = argv;
  return new Promise((resolve, reject) => {
    execFile(cmd ?? "nginx", args, { signal, timeout: 30_000, maxBuffer: 1024 * 1024 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      if (signal?.aborted) return reject(signal.reason instanceof Error ? signal.reason : err);
      const text = String(stderr).trim().split("\n").slice(-5).join("\n");
      reject(new CutoverError(ErrorCode.Provider, `nginx ${what} failed (${argv.join(" ")}): ${text || err.message}`, { retryable: what === "reload" }));
    });
  });
}

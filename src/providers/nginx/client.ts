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
import type { Fenceable } from "../../core/action.js";

/** The first line of the include file: how cutover knows what it last wrote. */
const MARKER = /^# cutover: live=(blue|green)\b/m;
/** One comment line per environment: the highest lease token that wrote the file (a stale run is refused). */
const FENCE_LINE = /^# cutover-fence: (\S+)=(\d+)$/gm;

type Fence = { environment: string; token: number };

export interface NginxClientOptions {
  upstreamFile: string;
  slots: Record<SlotName, string[]>;
  serverParams: string;
  publicUrl: string;
  test: string[];
  reload: string[];
  pidFile?: string;
}

export class NginxClient implements Fenceable<NginxClient> {
  readonly kind = "nginx";
  constructor(
    readonly options: NginxClientOptions,
    private readonly fence?: Fence,
  ) {}

  /** The same client, whose writes carry `fence`: refused once a higher token has written the file. */
  withFence(fence: Fence): NginxClient {
    return new NginxClient(this.options, { environment: fence.environment, token: fence.token });
  }

  get publicUrl(): string {
    return this.options.publicUrl;
  }

  /** The include file's text (undefined if absent) and the slot it routes to. */
  async read(): Promise<{ text: string | undefined; live: SlotName | undefined }> {
    const raw = await this.readRaw();
    // The fence lines are cutover's bookkeeping, not content: a swap compares and restores the rest.
    const text = raw === undefined ? undefined : stripFences(raw);
    const m = text === undefined ? null : MARKER.exec(text);
    return { text, live: m ? (m[1] as SlotName) : undefined };
  }

  render(slot: SlotName): string {
    const params = this.options.serverParams.trim();
    const lines = this.options.slots[slot].map((s) => `server ${s}${params ? " " + params : ""};`);
    return (
      `# cutover: live=${slot} (written by cutover; edits are ` + `overwritten by the next swap)\n${lines.join("\n")}\n`
    );
  }

  /**
   * Replace the include file in one rename, so nginx never reads half a file. Fenced: the file keeps the
   * highest lease token that wrote it per environment, and a lower one is refused (LEASE_LOST).
   */
  async write(text: string): Promise<void> {
    const fences = new Map<string, number>();
    for (const m of ((await this.readRaw()) ?? "").matchAll(FENCE_LINE)) fences.set(m[1]!, Number(m[2]));
    if (this.fence) {
      const seen = fences.get(this.fence.environment) ?? 0;
      if (this.fence.token < seen) {
        throw new CutoverError(
          ErrorCode.LeaseLost,
          `${this.options.upstreamFile}: stale fencing token ${this.fence.token} for environment ` +
            `${this.fence.environment} ` +
            `(token ${seen} has written it since); the write was refused`,
          { hint: "this run lost its lease to another run (abort, unlock --force); check `cutover status`" },
        );
      }
      fences.set(this.fence.environment, this.fence.token);
    }
    const body = stripFences(text);
    const lines = [...fences].map(([env, token]) => `# cutover-fence: ${env}=${token}\n`).join("");
    await writeFileAtomic(this.options.upstreamFile, body + lines, 0o644);
  }

  private readRaw(): Promise<string | undefined> {
    return fsp.readFile(this.options.upstreamFile, "utf8").catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return undefined;
      throw e;
    });
  }

  /** `nginx -t`: refuses a configuration nginx would not load. */
  async test(signal?: AbortSignal): Promise<void> {
    await run(this.options.test, "configuration test", signal);
  }

  /** Graceful reload: new workers take new connections, old ones finish what they serve. */
  async reload(signal?: AbortSignal): Promise<void> {
    if (this.options.pidFile) {
      const pid = Number((await fsp.readFile(this.options.pidFile, "utf8")).trim());
      if (!Number.isInteger(pid) || pid <= 0)
        throw new CutoverError(ErrorCode.Provider, `no nginx pid in ${this.options.pidFile}`);
      try {
        process.kill(pid, "SIGHUP");
      } catch (e) {
        throw new CutoverError(ErrorCode.Provider, `cannot signal nginx (pid ${pid}): ${(e as Error).message}`, {
          retryable: true,
        });
      }
      return;
    }
    await run(this.options.reload, "reload", signal);
  }
}

function stripFences(text: string): string {
  return text.replace(FENCE_LINE, "").replace(/\n\n+$/, "\n");
}

function run(argv: string[], what: string, signal?: AbortSignal): Promise<void> {
  const [cmd, ...args] = argv;
  return new Promise((resolve, reject) => {
    execFile(cmd ?? "nginx", args, { signal, timeout: 30_000, maxBuffer: 1024 * 1024 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      if (signal?.aborted) return reject(signal.reason instanceof Error ? signal.reason : err);
      const text = String(stderr).trim().split("\n").slice(-5).join("\n");
      reject(
        new CutoverError(ErrorCode.Provider, `nginx ${what} failed (${argv.join(" ")}): ${text || err.message}`, {
          retryable: what === "reload",
        }),
      );
    });
  });
}

/**
 * A FlagStore in one JSON file, for the embedded default and the local demo:
 *
 *   { "revision": 7, "flags": { "MaintenanceMode": { "value": true, "etag": "7" } } }
 *
 * Every write bumps the file-wide `revision` and stamps it as the written
 * flag's etag, so an etag is never reused for a name (not even after a delete
 * and re-create): a stale `ifEtag` can never match by accident. Writes are
 * read-modify-replace under a cross-process lock, replaced atomically, so
 * apps polling the file always read a whole document.
 *
 * Fenced: a store bound to a run's lease (`withFence`, done by the engine) records the highest
 * lease token per environment in the file's `fences` and refuses a change carrying a lower one
 * (LEASE_LOST), so a run that lost its lease cannot flip a flag back after `abort`.
 */
import path from "node:path";
import type { Json } from "../../core/json.js";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import type { FlagStore, FlagValue } from "../../core/flag-store.js";
import type { Fenceable } from "../../core/action.js";
import { atomicWriteFile, ensureDir, readTextIfExists } from "./durable.js";
import { withFileLock, type FileLockOptions } from "./file-lock.js";

interface StoredFlag {
  value: Json;
  etag: string;
}

interface FlagDocument {
  revision: number;
  flags: Map<string, StoredFlag>;
  /** The highest lease token that changed a flag, per environment. */
  fences: Record<string, number>;
}

type Fence = { environment: string; token: number };

export class FileFlagStore implements FlagStore, Fenceable<FileFlagStore> {
  readonly file: string;

  constructor(
    file: string,
    private readonly lockOptions: FileLockOptions = {},
    private readonly fence?: Fence,
  ) {
    this.file = path.resolve(file);
  }

  /** The same store, whose changes carry `fence` and are refused once a higher token has written. */
  withFence(fence: Fence): FileFlagStore {
    return new FileFlagStore(this.file, this.lockOptions, { environment: fence.environment, token: fence.token });
  }

  async get(name: string, options: { signal?: AbortSignal } = {}): Promise<FlagValue> {
    checkName(name);
    options.signal?.throwIfAborted();
    const flag = (await this.load()).flags.get(name);
    return flag ? { value: flag.value, etag: flag.etag } : { value: undefined };
  }

  async set(name: string, value: Json, options: { ifEtag?: string; signal?: AbortSignal } = {}): Promise<string> {
    checkName(name);
    if (value === undefined)
      throw new CutoverError(ErrorCode.Config, `flag ${name}: a value is required (use delete to remove a flag)`);
    options.signal?.throwIfAborted();
    return this.update(async (doc) => {
      checkEtag(name, doc.flags.get(name), options.ifEtag);
      const etag = String(doc.revision + 1);
      doc.flags.set(name, { value, etag });
      return etag;
    });
  }

  async delete(name: string, options: { ifEtag?: string; signal?: AbortSignal } = {}): Promise<void> {
    checkName(name);
    options.signal?.throwIfAborted();
    await this.update(async (doc) => {
      const current = doc.flags.get(name);
      if (!current) return undefined; // already absent: the goal state
      checkEtag(name, current, options.ifEtag);
      doc.flags.delete(name);
      return undefined;
    });
  }

  /** Read-modify-write under the lock; `change` mutates the document (a no-op change writes nothing). */
  private async update<T>(change: (doc: FlagDocument) => Promise<T>): Promise<T> {
    await ensureDir(path.dirname(this.file));
    return withFileLock(
      `${this.file}.lock`,
      async (lock) => {
        const doc = await this.load();
        const before = serialize(doc);
        const result = await change(doc);
        const after = serialize(doc);
        if (after !== before) {
          if (this.fence) admitFence(this.file, doc, this.fence);
          doc.revision++;
          lock.assertHeld();
          await atomicWriteFile(this.file, serialize(doc));
        }
        return result;
      },
      this.lockOptions,
    );
  }

  private async load(): Promise<FlagDocument> {
    const text = await readTextIfExists(this.file);
    if (text === undefined || text.trim() === "")
      return { revision: 0, flags: new Map(), fences: Object.create(null) as Record<string, number> };
    try {
      const raw = JSON.parse(text) as { revision?: unknown; flags?: unknown; fences?: unknown };
      const flags = new Map<string, StoredFlag>();
      if (typeof raw.flags !== "object" || raw.flags === null || Array.isArray(raw.flags))
        throw new Error(`"flags" must be an object`);
      let highest = 0;
      for (const [name, entry] of Object.entries(raw.flags as Record<string, unknown>)) {
        if (typeof entry !== "object" || entry === null || !("value" in entry))
          throw new Error(`flag ${name} has no "value"`);
        const e = entry as { value: Json; etag?: unknown };
        // A hand-edited entry without an etag gets one at the current revision.
        const etag = typeof e.etag === "string" ? e.etag : "0";
        highest = Math.max(highest, Number(etag) || 0);
        flags.set(name, { value: e.value, etag });
      }
      const revision = Math.max(typeof raw.revision === "number" ? raw.revision : 0, highest);
      const fences = Object.create(null) as Record<string, number>;
      if (raw.fences && typeof raw.fences === "object") {
        for (const [env, token] of Object.entries(raw.fences))
          if (Number.isSafeInteger(token)) fences[env] = token as number;
      }
      return { revision, flags, fences };
    } catch (e) {
      throw new CutoverError(ErrorCode.Provider, `flag file ${this.file} is not valid: ${(e as Error).message}`, {
        hint: 'expected { "flags": { "<name>": { "value": ..., "etag": "<n>" } } }',
        details: { file: this.file },
      });
    }
  }
}

function serialize(doc: FlagDocument): string {
  // Object.fromEntries defines own properties, so a flag named "__proto__" stays a flag.
  const fences = Object.keys(doc.fences).length > 0 ? { fences: doc.fences } : {};
  return JSON.stringify({ revision: doc.revision, flags: Object.fromEntries(doc.flags), ...fences }, null, 2) + "\n";
}

/** Refuse a change whose lease token is below one that already wrote; remember a higher one. */
function admitFence(file: string, doc: FlagDocument, fence: Fence): void {
  const seen = doc.fences[fence.environment] ?? 0;
  if (fence.token < seen) {
    throw new CutoverError(
      ErrorCode.LeaseLost,
      `flag file ${file}: stale fencing token ${fence.token} for environment ${fence.environment} ` +
        `(token ${seen} has written since); the change was refused`,
      {
        hint: "this run lost its lease to another run (abort, unlock --force); check `cutover status`",
        details: { file, ...fence, seen },
      },
    );
  }
  doc.fences[fence.environment] = fence.token;
}

function checkName(name: string): void {
  if (typeof name !== "string" || name.length === 0)
    throw new CutoverError(ErrorCode.Config, "a flag name must be a non-empty string");
}

function checkEtag(name: string, current: StoredFlag | undefined, ifEtag: string | undefined): void {
  if (ifEtag === undefined || current?.etag === ifEtag) return;
  const found = current ? `its etag is now ${current.etag}` : "it no longer exists";
  throw new CutoverError(
    ErrorCode.Provider,
    `flag ${name} was changed by someone else since it was read (expected etag ${ifEtag}, ${found})`,
    {
      hint: "read the flag again and decide whether your change still applies",
      details: { flag: name, expectedEtag: ifEtag, currentEtag: current?.etag },
    },
  );
}

/**
 * The embedded default RunStore: a project-local directory of JSON-lines
 * journals and lease files.
 *
 *   <dir>/runs/<runId>.jsonl    one RunEvent per line (journal-file.ts)
 *   <dir>/leases/<env>.json     the environment's lease (lease.ts)
 *   <dir>/locks/                short-lived cross-process lock files
 *
 * An append takes the run's lock file, checks the last seq (cached by file
 * identity, else verified from the file), truncates a torn tail, writes the
 * lines, fdatasyncs (and fsyncs the directory when it created the file) and
 * only then returns (journal-append.ts). A fenced append also holds the environment's lease
 * lock, so a `force` cannot slip between the token check and the write.
 */
import {
  closeSync,
  constants as fsConstants,
  fstatSync,
  openSync,
  promises as fs,
  readdirSync,
  readSync,
  statSync,
} from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import type { RunEvent, RunEventBody } from "../../engine/events.js";
import {
  RUN_ID_PATTERN,
  type Fence,
  type LeaseInfo,
  type LeaseRequest,
  type RunStore,
  type RunSummary,
} from "../../core/run-store.js";
import { CutoverError, ErrorCode, isCutoverError } from "../../core/errors.js";
import { ensureDir, fsyncDir, isErrno } from "./durable.js";
import type { PrefixCache } from "./journal-append.js";
import { withFileLock, type FileLockOptions } from "./file-lock.js";
import { LeaseFiles } from "./lease.js";
import { assertEnvironmentName, assertRunId, isSafeName } from "./names.js";

const READ_NONBLOCKING = fsConstants.O_RDONLY | fsConstants.O_NONBLOCK;

/** The first `bytes` of a journal, through event `seq` (FileRunStore.readAfter). */
export interface JournalPrefix {
  seq: number;
  bytes: number;
  sha256: string;
}

export interface FileRunStoreOptions {
  /** The state directory (absolute, or relative to the process cwd). */
  dir: string;
  /** Lock-file tuning; the defaults suit everything but tests. */
  lock?: FileLockOptions;
  /** The clock that judges lease expiry (default: the local clock). */
  clock?: () => Date;
}

const LIST_CONCURRENCY = 32;

/**
 * The journal's parser and writer check every event against its schema (zod), so they are loaded on first use:
 * a `status` that finds nothing new after its snapshot (api/fold-cache.ts) parses nothing and loads neither.
 */
const journalFile = () => import("./journal-file.js");

export class FileRunStore implements RunStore {
  readonly dir: string;
  readonly runsDir: string;
  private readonly locksDir: string;
  private readonly leases: LeaseFiles;
  private readonly lockOptions: FileLockOptions;
  private readonly clock: () => Date;
  /** Intact prefixes of journals this store has read or written (journal-append.ts). */
  private readonly prefixes: PrefixCache = new Map();
  private dirsReady: Promise<void> | undefined;

  constructor(options: FileRunStoreOptions) {
    this.dir = path.resolve(options.dir);
    this.runsDir = path.join(this.dir, "runs");
    this.locksDir = path.join(this.dir, "locks");
    this.lockOptions = options.lock ?? {};
    this.clock = options.clock ?? (() => new Date());
    this.leases = new LeaseFiles(path.join(this.dir, "leases"), this.locksDir, this.lockOptions, this.clock);
  }

  journalFile(runId: string): string {
    assertRunId(runId);
    return path.join(this.runsDir, `${runId}.jsonl`);
  }

  async append(runId: string, events: RunEventBody[], expectedSeq: number, fence?: Fence): Promise<RunEvent[]> {
    const file = this.journalFile(runId);
    if (!Number.isInteger(expectedSeq) || expectedSeq < 0) {
      throw new CutoverError(ErrorCode.Internal, `expectedSeq must be a non-negative integer, got ${expectedSeq}`);
    }
    if (fence) assertEnvironmentName(fence.environment);
    await this.ensureDirs();
    return withFileLock(
      path.join(this.locksDir, `run-${runId}.lock`),
      async () => {
        if (!fence) return this.appendLocked(file, runId, events, expectedSeq);
        return this.leases.withLock(fence.environment, async () => {
          await this.leases.checkFence(fence);
          return this.appendLocked(file, runId, events, expectedSeq);
        });
      },
      this.lockOptions,
    );
  }

  private async appendLocked(
    file: string,
    runId: string,
    bodies: RunEventBody[],
    expectedSeq: number,
  ): Promise<RunEvent[]> {
    try {
      const { appendToJournal } = await import("./journal-append.js");
      const { events, created } = await appendToJournal(
        file,
        runId,
        bodies,
        expectedSeq,
        this.clock().toISOString(),
        this.prefixes,
      );
      if (created) await fsyncDir(this.runsDir); // the new file's directory entry must be durable too
      return events;
    } catch (e) {
      if (isCutoverError(e)) throw e;
      // Disk full, read-only filesystem, I/O error: say which file, let the engine retry.
      throw new CutoverError(ErrorCode.Provider, `cannot write the journal ${file}: ${(e as Error).message}`, {
        cause: e,
        retryable: true,
      });
    }
  }

  async read(runId: string, afterSeq = 0): Promise<RunEvent[]> {
    const file = this.journalFile(runId);
    const { buf, ino } = await this.readBytes(runId, file);
    const { parseJournal } = await journalFile();
    const parsed = parseJournal(buf, file, runId);
    const n = parsed.events.length;
    this.prefixes.set(file, { ino, size: parsed.validLength, lastSeq: n, lines: n });
    if (n === 0) throw notFound(runId);
    return afterSeq > 0 ? parsed.events.slice(afterSeq) : parsed.events;
  }

  /**
   * The events after `prefix.seq`, for a reader that folded the first `prefix.seq` (a snapshot,
   * api/fold-cache.ts): those lines are not parsed again, which is most of the cost of reading a long journal.
   * They are trusted only while the journal still begins with exactly the bytes that reader folded (same length
   * and SHA-256, from `prefixOf`); undefined otherwise, and the caller reads the journal whole, so that a line
   * damaged or edited anywhere is still named (JOURNAL_CORRUPT at file:line). `steps`: the step ids the run
   * planned in those lines, which the events after them are checked against.
   */
  async readAfter(runId: string, prefix: JournalPrefix, steps: ReadonlySet<string>): Promise<RunEvent[] | undefined> {
    const file = this.journalFile(runId);
    const { buf } = await this.readBytes(runId, file);
    if (buf.length < prefix.bytes || buf[prefix.bytes - 1] !== 0x0a) return undefined;
    if (sha256(buf.subarray(0, prefix.bytes)) !== prefix.sha256) return undefined;
    if (buf.length === prefix.bytes) return []; // nothing new: nothing to parse (and the parser is not even loaded)
    const { parseJournal } = await journalFile();
    const start = { lastSeq: prefix.seq, lines: prefix.seq, steps };
    return parseJournal(buf.subarray(prefix.bytes), file, runId, start).events;
  }

  /** The journal's first lines up to and including event `seq`, as `readAfter` checks them. */
  async prefixOf(runId: string, seq: number): Promise<JournalPrefix | undefined> {
    const { buf } = await this.readBytes(runId, this.journalFile(runId));
    const line = lineOfSeq(buf, seq);
    return line && { seq, bytes: line.end, sha256: sha256(buf.subarray(0, line.end)) };
  }

  // Non-blocking: a FIFO put where a journal belongs must be refused, not wait forever for a writer.
  // Reads at most the size it stat'ed, so a prefix cache entry describes what was parsed. Lock-free: an appender
  // may be writing the tail (ignored as torn by the parser) or cutting a torn one.
  private async readBytes(runId: string, file: string): Promise<{ buf: Buffer; ino: number }> {
    // Synchronous: one local file read whole; four thread-pool round trips cost more than the read (status).
    let fd: number;
    try {
      fd = openSync(file, READ_NONBLOCKING);
    } catch (e) {
      if (isErrno(e, "ENOENT")) throw notFound(runId);
      throw e;
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile())
        throw new CutoverError(
          ErrorCode.JournalCorrupt,
          `the journal ${file} is not a regular file (a FIFO, device or directory put in its place)`,
        );
      const buf = Buffer.allocUnsafe(stat.size);
      let n = 0;
      while (n < buf.length) {
        const got = readSync(fd, buf, n, buf.length - n, n);
        if (got === 0) break; // a torn tail cut meanwhile: what is there
        n += got;
      }
      return { buf: buf.subarray(0, n), ino: stat.ino };
    } finally {
      closeSync(fd);
    }
  }

  /**
   * The newest run's id, without reading every journal when the ids say it: ids made by `cutover run` sort as
   * their start times (RUN_ID_PATTERN). Any other name in the directory (a run imported under another id):
   * the journals' own start times decide, as `listRuns` does.
   */
  async newestRunId(): Promise<string | undefined> {
    let names: string[];
    try {
      names = readdirSync(this.runsDir);
    } catch (e) {
      if (isErrno(e, "ENOENT")) return undefined;
      throw e;
    }
    const ids = names.filter((n) => n.endsWith(".jsonl")).map((n) => n.slice(0, -".jsonl".length));
    if (!ids.every((id) => RUN_ID_PATTERN.test(id))) return (await this.listRuns({ limit: 1 }))[0]?.runId;
    // Newest first; a journal still without its first line (a run being created) is not a run yet.
    for (const id of ids.sort().reverse()) {
      try {
        if (statSync(this.journalFile(id)).size > 0) return id;
      } catch (e) {
        if (!isErrno(e, "ENOENT")) throw e; // removed meanwhile
      }
    }
    return undefined;
  }

  async listRuns(options: { environment?: string; limit?: number } = {}): Promise<RunSummary[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.runsDir);
    } catch (e) {
      if (isErrno(e, "ENOENT")) return [];
      throw e;
    }
    const runIds = names
      .filter((n) => n.endsWith(".jsonl"))
      .map((n) => n.slice(0, -".jsonl".length))
      .filter(isSafeName);
    const summaries: RunSummary[] = [];
    for (let i = 0; i < runIds.length; i += LIST_CONCURRENCY) {
      const batch = await Promise.all(runIds.slice(i, i + LIST_CONCURRENCY).map((id) => this.summarize(id)));
      for (const s of batch)
        if (s && (options.environment === undefined || s.environment === options.environment)) summaries.push(s);
    }
    summaries.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.runId.localeCompare(a.runId));
    return options.limit !== undefined ? summaries.slice(0, Math.max(0, options.limit)) : summaries;
  }

  /**
   * A run's summary from its first and last lines; undefined for a journal
   * with no complete first line yet. A journal whose first line is damaged is
   * still listed (what it is cannot be read): reading it names the damage.
   */
  private async summarize(runId: string): Promise<RunSummary | undefined> {
    const file = path.join(this.runsDir, `${runId}.jsonl`);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, READ_NONBLOCKING);
    } catch (e) {
      if (isErrno(e, "ENOENT")) return undefined; // removed meanwhile
      throw e;
    }
    try {
      const st = await handle.stat();
      const { size, mtime } = st;
      if (!st.isFile())
        return {
          runId,
          playbook: "?",
          environment: "?",
          startedAt: mtime.toISOString(),
          updatedAt: mtime.toISOString(),
          lastEvent: "damaged",
        };
      if (size === 0) return undefined;
      const { readJournalHead, readJournalTail } = await journalFile();
      const first = await readJournalHead(handle, size);
      if (first === undefined) return undefined;
      if (first === "damaged" || first.type !== "run.started") {
        const at = mtime.toISOString();
        return { runId, playbook: "?", environment: "?", startedAt: at, updatedAt: at, lastEvent: "damaged" };
      }
      const { last } = await readJournalTail(handle, size, file, runId).catch(() => ({ last: undefined }));
      return {
        runId,
        playbook: first.playbook.name,
        environment: first.environment,
        startedAt: first.at,
        updatedAt: (last ?? first).at,
        lastEvent: last ? last.type : "damaged",
      };
    } finally {
      await handle.close();
    }
  }

  acquireLease(req: LeaseRequest): Promise<LeaseInfo> {
    return this.ensureDirs().then(() => this.leases.acquire(req));
  }

  renewLease(lease: LeaseInfo, ttlMs: number): Promise<LeaseInfo> {
    return this.ensureDirs().then(() => this.leases.renew(lease, ttlMs));
  }

  releaseLease(lease: LeaseInfo): Promise<void> {
    return this.ensureDirs().then(() => this.leases.release(lease));
  }

  forceLease(req: LeaseRequest): Promise<{ lease: LeaseInfo; previous?: LeaseInfo }> {
    return this.ensureDirs().then(() => this.leases.force(req));
  }

  readLease(environment: string): Promise<LeaseInfo | undefined> {
    return this.leases.read(environment);
  }

  async close(): Promise<void> {
    this.prefixes.clear();
  }

  private ensureDirs(): Promise<void> {
    this.dirsReady ??= (async () => {
      for (const d of [this.dir, this.runsDir, this.locksDir]) await ensureDir(d);
    })().catch((e: unknown) => {
      this.dirsReady = undefined;
      throw new CutoverError(
        ErrorCode.Config,
        `cannot create the state directory ${this.dir}: ${(e as Error).message}`,
        { cause: e },
      );
    });
    return this.dirsReady;
  }
}

function notFound(runId: string): CutoverError {
  return new CutoverError(ErrorCode.RunNotFound, `no run ${runId} in this state directory`, {
    hint: "`cutover runs` lists the known runs; use --state-dir if the run was started elsewhere",
    details: { runId },
  });
}

/**
 * Where the complete line holding event `seq` lies in `buf` (newline included), searched from the end: a
 * snapshot is taken of a state just folded, whose last event is at or near the end of the journal.
 */
function lineOfSeq(buf: Buffer, seq: number): { start: number; end: number } | undefined {
  let end = buf.lastIndexOf(0x0a) + 1;
  while (end > 0) {
    const start = end >= 2 ? buf.lastIndexOf(0x0a, end - 2) + 1 : 0;
    let found: unknown;
    try {
      found = (JSON.parse(buf.toString("utf8", start, end)) as { seq?: unknown }).seq;
    } catch {
      return undefined; // damaged: the caller reads the journal through the parser, which names the line
    }
    if (found === seq) return { start, end };
    if (typeof found !== "number" || found < seq) return undefined;
    end = start;
  }
  return undefined;
}

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

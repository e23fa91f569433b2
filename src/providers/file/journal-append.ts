/**
 * The append path of the file journal, run under the run's lock file:
 * check the last seq, cut a torn tail, write the lines at the end, fdatasync.
 *
 * The last seq comes from a cache keyed by the file's inode and size: the
 * intact prefix of a journal never changes, and every legitimate writer
 * changes the size, so "same inode, same size" means "as we left it". On a
 * miss only the bytes added since the cached prefix are parsed (every line
 * checked); a file that shrank or was replaced is parsed whole, once.
 *
 * File calls are synchronous except the fdatasync: they are page-cache
 * operations of microseconds, cheaper than thread-pool round trips, and the
 * wait that matters (the disk flush) stays off the event loop.
 */
import fs from "node:fs";
import type { RunEvent, RunEventBody } from "../../engine/events.js";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import { FILE_MODE, isErrno } from "./durable.js";
import { assertWritable } from "../../engine/journal-check.js";
import { parseJournal } from "./journal-file.js";

/**
 * O_APPEND although we hold the lock: should two writers ever both believe
 * they hold it, their lines land one after the other (a duplicate seq that
 * `read` reports as JOURNAL_CORRUPT) instead of silently overwriting.
 */
const { O_RDWR, O_APPEND, O_CREAT, O_EXCL } = fs.constants;
const APPEND = O_RDWR | O_APPEND;

/** Looked up on the module object at call time, so the benchmark can stub the disk out. */
function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())));
}

/** What we know about a journal's intact prefix. */
interface JournalPrefix {
  ino: number;
  /** Bytes of the intact prefix. */
  size: number;
  lastSeq: number;
  /** Lines in the prefix (for line numbers in errors). */
  lines: number;
}

export type PrefixCache = Map<string, JournalPrefix>;

export interface AppendResult {
  events: RunEvent[];
  /** True when the file was created: its directory entry needs an fsync too. */
  created: boolean;
}

export async function appendToJournal(
  file: string,
  runId: string,
  bodies: RunEventBody[],
  expectedSeq: number,
  at: string,
  cache: PrefixCache,
): Promise<AppendResult> {
  // Check and serialise first: a body that cannot be written must not leave a file behind.
  assertWritable(bodies, runId, expectedSeq);
  const lines = bodies.map((body, i) => serialize(body, runId, expectedSeq + i + 1, at)).join("");
  let fd: number;
  let created = false;
  try {
    fd = fs.openSync(file, APPEND);
  } catch (e) {
    if (!isErrno(e, "ENOENT")) throw e;
    checkExpected(runId, expectedSeq, 0);
    if (bodies.length === 0) return { events: [], created };
    fd = fs.openSync(file, APPEND | O_CREAT | O_EXCL, FILE_MODE); // we hold the run lock: nobody else creates it
    created = true;
  }
  try {
    const st = fs.fstatSync(fd);
    const known = created ? { ino: st.ino, size: 0, lastSeq: 0, lines: 0 } : verifiedPrefix(fd, st, file, runId, cache);
    checkExpected(runId, expectedSeq, known.lastSeq);
    if (bodies.length === 0 && known.size === st.size) return { events: [], created };

    const bytes = Buffer.from(lines, "utf8");
    cache.delete(file); // until the write is durable, we are not sure what the disk holds
    if (known.size < st.size) fs.ftruncateSync(fd, known.size); // drop a torn tail
    writeAll(fd, bytes);
    await fdatasync(fd);
    cache.set(file, {
      ino: st.ino,
      size: known.size + bytes.length,
      lastSeq: known.lastSeq + bodies.length,
      lines: known.lines + bodies.length,
    });
    return {
      events: lines
        .split("\n")
        .slice(0, -1)
        .map((line) => JSON.parse(line) as RunEvent),
      created,
    };
  } finally {
    fs.closeSync(fd);
  }
}

function verifiedPrefix(fd: number, st: fs.Stats, file: string, runId: string, cache: PrefixCache): JournalPrefix {
  const cached = cache.get(file);
  if (cached && cached.ino === st.ino && cached.size === st.size) return cached;
  const base = cached && cached.ino === st.ino && cached.size < st.size ? cached : { size: 0, lastSeq: 0, lines: 0 };
  const buf = Buffer.alloc(st.size - base.size);
  readAll(fd, buf, base.size);
  const parsed = parseJournal(buf, file, runId, base);
  const known: JournalPrefix = {
    ino: st.ino,
    size: base.size + parsed.validLength,
    lastSeq: base.lastSeq + parsed.events.length,
    lines: base.lines + parsed.events.length,
  };
  cache.set(file, known);
  return known;
}

function readAll(fd: number, buf: Buffer, position: number): void {
  for (let off = 0; off < buf.length;) {
    const n = fs.readSync(fd, buf, off, buf.length - off, position + off);
    if (n === 0) throw new Error(`unexpected end of file at byte ${position + off}`);
    off += n;
  }
}

function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length;) off += fs.writeSync(fd, buf, off, buf.length - off, null);
}

/** One journal line. The position fields are set last so a body can never override them. */
function serialize(body: RunEventBody, runId: string, seq: number, at: string): string {
  const event = Object.assign({ seq, at, runId }, body, { seq, at, runId });
  return JSON.stringify(event) + "\n";
}

function checkExpected(runId: string, expectedSeq: number, lastSeq: number): void {
  if (lastSeq === expectedSeq) return;
  throw new CutoverError(
    ErrorCode.JournalConflict,
    `run ${runId}: expected to append after seq ${expectedSeq}, but the journal ends at seq ${lastSeq}`,
    {
      hint: "another process wrote to this run; re-read the journal",
      details: { runId, expectedSeq, actualSeq: lastSeq },
    },
  );
}

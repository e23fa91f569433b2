/**
 * The on-disk journal format: JSON lines, one RunEvent per line, each line
 * ending in "\n". A line only counts once its newline is there, so:
 *
 * - a last segment without "\n" is a torn write (a crash mid-append, or an
 *   append in progress seen by a lock-free reader): ignored;
 * - a last complete line that is not JSON (e.g. zero-filled by a crash) is
 *   torn too: ignored;
 * - a line that is not JSON with lines after it, or any JSON line that is
 *   not a valid event of this run (schema, seq order, run id, a step the run
 *   never planned, a newer format: src/engine/journal-check.ts) is damage:
 *   JOURNAL_CORRUPT naming file:line. A crash cannot write a complete line of
 *   valid JSON that is not the event we meant, so such a line is never torn.
 *
 * Appenders truncate the torn tail away (under the run lock) before writing.
 */
import type { FileHandle } from "node:fs/promises";
import type { RunEvent } from "../../engine/events.js";
import { checkEvent, JournalChecker, refusalHint, type Checked, type CheckStart } from "../../engine/journal-check.js";
import { CutoverError, ErrorCode } from "../../core/errors.js";

const NEWLINE = 0x0a;
const TAIL_CHUNK = 64 * 1024;

export interface ParsedJournal {
  events: RunEvent[];
  /** Bytes that hold complete, valid events; anything after is a torn tail. */
  validLength: number;
}

function corrupt(file: string, line: number, refused: string | Extract<Checked, { ok: false }>): CutoverError {
  const r = typeof refused === "string" ? { ok: false as const, why: refused } : refused;
  return new CutoverError(ErrorCode.JournalCorrupt, `journal ${file} is damaged at line ${line}: ${r.why}`, {
    hint: refusalHint(r),
    details: { file, line },
  });
}

/** Parse one line's JSON; undefined when it is not JSON at all (torn, or garbage). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** One line as an event, or undefined when it is not a valid event on its own (for the lock-free tail readers). */
function parseLine(text: string): RunEvent | undefined {
  const r = checkEvent(parseJson(text));
  return r.ok ? r.event : undefined;
}

/** Where a parse starts: after `lastSeq`, with `lines` lines before it (for line numbers). */
export interface ParseStart extends CheckStart {
  lines: number;
}

/**
 * Parse journal bytes, checking every line (see the module comment). `start`
 * allows parsing only what was appended after a known-good prefix (the step
 * ids are then checked only if `start.steps` gives them).
 */
export function parseJournal(
  buf: Buffer,
  file: string,
  runId: string,
  start: ParseStart = { lastSeq: 0, lines: 0 },
): ParsedJournal {
  const events: RunEvent[] = [];
  const checker = new JournalChecker(runId, start);
  let validLength = 0;
  let pos = 0;
  let lineNo = start.lines;
  let tornAt: number | undefined; // line number of a complete line that is not JSON: torn only if it is the last
  while (pos < buf.length) {
    const end = buf.indexOf(NEWLINE, pos);
    if (end === -1) break; // torn segment without newline
    lineNo++;
    if (tornAt !== undefined) throw corrupt(file, tornAt, "not a valid journal event, and valid lines follow it");
    const json = parseJson(buf.toString("utf8", pos, end));
    if (json === undefined) {
      tornAt = lineNo;
    } else {
      const checked = checker.next(json);
      if (!checked.ok) throw corrupt(file, lineNo, checked);
      events.push(checked.event);
      validLength = end + 1;
    }
    pos = end + 1;
  }
  return { events, validLength };
}

export interface JournalTail {
  /** The last valid event, if any. */
  last?: RunEvent;
  /** Byte length of the intact part of the file. */
  validLength: number;
}

/**
 * The last valid event and the intact length, reading only the end of the
 * file (listing many runs must not read whole journals). Falls back to a full parse when
 * the tail looks damaged, so the error names the exact line.
 */
export async function readJournalTail(
  handle: FileHandle,
  size: number,
  file: string,
  runId: string,
): Promise<JournalTail> {
  let chunk = TAIL_CHUNK;
  for (;;) {
    const from = Math.max(0, size - chunk);
    const buf = Buffer.alloc(size - from);
    await readFully(handle, buf, from);
    const result = analyzeTail(buf, from === 0, runId);
    if (result === "damaged") {
      const whole = Buffer.alloc(size);
      await readFully(handle, whole, 0);
      const parsed = parseJournal(whole, file, runId);
      return { last: parsed.events.at(-1), validLength: parsed.validLength };
    }
    if (result !== "need-more") return { last: result.last, validLength: from + result.validLength };
    chunk *= 4;
  }
}

function analyzeTail(buf: Buffer, atFileStart: boolean, runId: string): JournalTail | "need-more" | "damaged" {
  const startOf = (lineEnd: number) => (lineEnd === 0 ? 0 : buf.lastIndexOf(NEWLINE, lineEnd - 1) + 1);
  const lastEnd = buf.lastIndexOf(NEWLINE);
  if (lastEnd === -1) return atFileStart ? { validLength: 0 } : "need-more";
  const lastStart = startOf(lastEnd);
  if (lastStart === 0 && !atFileStart) return "need-more";
  const lastText = buf.toString("utf8", lastStart, lastEnd);
  const last = parseLine(lastText);
  if (last !== undefined) return last.runId === runId ? { last, validLength: lastEnd + 1 } : "damaged";
  if (parseJson(lastText) !== undefined) return "damaged"; // JSON but not a valid event: never a torn write
  // The last complete line is torn; the one before it must be a valid event.
  if (lastStart === 0) return { validLength: 0 };
  const prevEnd = lastStart - 1;
  const prevStart = startOf(prevEnd);
  if (prevStart === 0 && !atFileStart) return "need-more";
  const prev = parseLine(buf.toString("utf8", prevStart, prevEnd));
  if (prev !== undefined && prev.runId === runId) return { last: prev, validLength: lastStart };
  return "damaged";
}

async function readFully(handle: FileHandle, buf: Buffer, position: number): Promise<void> {
  let offset = 0;
  while (offset < buf.length) {
    const { bytesRead } = await handle.read(buf, offset, buf.length - offset, position + offset);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + offset}`);
    offset += bytesRead;
  }
}

/**
 * The first line's event (for listings): undefined if there is no complete
 * line yet (a run being created), "damaged" if it is not a valid event.
 */
export async function readJournalHead(handle: FileHandle, size: number): Promise<RunEvent | "damaged" | undefined> {
  let chunk = Math.min(size, 16 * 1024);
  for (;;) {
    const buf = Buffer.alloc(chunk);
    await readFully(handle, buf, 0);
    const end = buf.indexOf(NEWLINE);
    if (end !== -1) {
      const text = buf.toString("utf8", 0, end);
      // A first line that is not JSON and is all there is: a torn first write, not damage.
      return parseLine(text) ?? (parseJson(text) !== undefined || size > end + 1 ? "damaged" : undefined);
    }
    if (chunk >= size) return undefined;
    chunk = Math.min(size, chunk * 4);
  }
}

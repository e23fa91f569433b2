/**
 * How runs, events and leases are laid out as Table Storage entities, and the
 * service limits we enforce ourselves (Azurite does not enforce the 1 MiB
 * entity limit, so a test there would pass and production would fail).
 *
 *   PartitionKey          RowKey                    what
 *   run~<runId>           head                      lastSeq, fenceToken, summary
 *   run~<runId>           e-0000000001 ...          one event each (JSON, chunked)
 *   index                 <inverted ms>-<runId>     run listing, newest first
 *   lease                 <environment>             the environment lease
 */
import type { TableEntity } from "@azure/data-tables";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import type { RunEvent } from "../../engine/events.js";
import { JournalChecker, refusalHint } from "../../engine/journal-check.js";

export const LIMITS = {
  /** Per entity, service-enforced in Azure (not in Azurite). */
  entityBytes: 1024 * 1024,
  /** Per string property: 64 KiB of UTF-16. */
  propertyBytes: 64 * 1024,
  properties: 255,
  /** Operations per entity-group transaction. */
  batchOps: 100,
  batchBytes: 4 * 1024 * 1024,
} as const;

/** Characters per chunk property: 2 bytes each, safely under 64 KiB. */
const CHUNK_CHARS = 32_000;
const SEQ_DIGITS = 10;

export const HEAD_ROW = "head";
export const INDEX_PARTITION = "index";
export const LEASE_PARTITION = "lease";

/** Keys may not contain / \ # ? or control characters; escape them reversibly. */
export function encodeKey(s: string): string {
  return s.replace(
    // eslint-disable-next-line no-control-regex -- control characters are exactly what the service forbids
    /[%/\\#?\u0000-\u001f\u007f-\u009f]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0").toUpperCase(),
  );
}

export function runPartition(runId: string): string {
  return "run~" + encodeKey(runId);
}

export function eventRow(seq: number): string {
  return "e-" + String(seq).padStart(SEQ_DIGITS, "0");
}

/** Row key order of the index is newest first: a smaller key for a later start. */
export function indexRow(startedAtMs: number, runId: string): string {
  return String(9_999_999_999_999 - startedAtMs).padStart(13, "0") + "-" + encodeKey(runId);
}

/** Int64 properties as the SDK wants to write them. */
export function int64(n: number): { value: string; type: "Int64" } {
  return { value: String(n), type: "Int64" };
}

/** Read an integer property whatever shape the SDK hands back (bigint for Int64, number, or an Edm object). */
export function toNumber(v: unknown, fallback = 0): number {
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number") return v;
  if (typeof v === "string" && v !== "") return Number(v);
  if (v && typeof v === "object" && "value" in v) return toNumber((v as { value: unknown }).value, fallback);
  return fallback;
}

export type EventEntity = TableEntity<Record<string, unknown>>;

/** Estimated stored size, by the formula in the Table service docs. */
export function entityBytes(entity: Record<string, unknown>): number {
  let size = 4;
  for (const [name, value] of Object.entries(entity)) {
    if (name === "partitionKey" || name === "rowKey") {
      size += String(value).length * 2;
      continue;
    }
    if (name === "etag" || name === "timestamp") continue;
    size += 8 + name.length * 2;
    if (typeof value === "string") size += 4 + value.length * 2;
    else if (typeof value === "boolean") size += 1;
    else size += 8;
  }
  return size;
}

export function encodeEvent(partitionKey: string, event: RunEvent): EventEntity {
  const json = JSON.stringify(event);
  const entity: EventEntity = { partitionKey, rowKey: eventRow(event.seq), type: event.type, at: event.at };
  let parts = 0;
  for (let i = 0; i < json.length; i += CHUNK_CHARS) entity["b" + parts++] = json.slice(i, i + CHUNK_CHARS);
  entity.parts = parts;
  const bytes = entityBytes(entity);
  if (bytes > LIMITS.entityBytes || Object.keys(entity).length > LIMITS.properties - 1) {
    throw new CutoverError(
      ErrorCode.Provider,
      `Table Storage: event ${event.seq} (${event.type}) is ${Math.ceil(bytes / 1024)} KiB; an entity may hold ` +
        `at most 1 MiB`,
      {
        hint:
          "An action returned outputs or recorded data too large for the journal; keep them small (store big data " +
          "elsewhere and record a reference).",
        details: { seq: event.seq, bytes },
      },
    );
  }
  return entity;
}

/**
 * The events of one run's entities, in row order, each checked like a file
 * journal's lines (src/engine/journal-check.ts): schema, order, run id,
 * planned step ids, format version. `afterSeq` > 0 checks a tail (step ids
 * are then not known, and not checked).
 */
/** The event's JSON as stored, reassembled from its b0…bN properties. */
export function rawJson(entity: Record<string, unknown>): string {
  const parts = toNumber(entity.parts);
  let json = "";
  for (let i = 0; i < parts; i++) json += String(entity["b" + i] ?? "");
  return json;
}

export function decodeEvents(entities: Record<string, unknown>[], runId: string, afterSeq = 0): RunEvent[] {
  const checker = new JournalChecker(runId, { lastSeq: afterSeq });
  return entities.map((entity) => {
    const where = `Table Storage: the journal of run ${runId} is damaged at entity ${String(entity.rowKey)}`;
    const json = rawJson(entity);
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw new CutoverError(ErrorCode.JournalCorrupt, `${where}: not valid JSON`, {
        cause: e,
        details: { runId, rowKey: entity.rowKey },
      });
    }
    const checked = checker.next(value);
    if (!checked.ok) {
      throw new CutoverError(ErrorCode.JournalCorrupt, `${where}: ${checked.why}`, {
        hint: refusalHint(checked),
        details: { runId, rowKey: entity.rowKey },
      });
    }
    return checked.event;
  });
}

/**
 * YAML source with positions: parse a playbook file safely (size and alias
 * limits, duplicate keys refused) and map a field path back to file:line:col.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import { PlaybookInvalidError, type Problem } from "../core/errors.js";
import { MAX_PLAYBOOK_BYTES, readRegularFile } from "./input-file.js";
import { depthProblem, tagAndKeyProblems } from "./yaml-limits.js";

/** Larger playbooks are refused rather than parsed: no real release needs 1 MiB of YAML. */
/** Aliases are allowed for sharing small blocks, but a "billion laughs" expansion is refused. */
const MAX_ALIASES = 100;

export type Path = (string | number)[];

export class PlaybookSource {
  constructor(
    readonly file: string,
    readonly text: string,
    readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /**
   * Position of the node at `path`; falls back to the nearest existing
   * parent. `key: true` points at the key of the last segment.
   */
  locate(path: Path, opts: { key?: boolean } = {}): { line: number; column: number } {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        const last = i === path.length - 1;
        offset = (last && opts.key ? rangeStart(pair.key) : (rangeStart(pair.value) ?? rangeStart(pair.key))) ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === "number") {
        const item = node.items[seg];
        if (item === undefined) break;
        offset = rangeStart(item) ?? offset;
        node = item;
      } else break;
    }
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }

  problem(path: Path, message: string, opts: { key?: boolean; offsetInValue?: number } = {}): Problem {
    const at = this.locate(path, opts);
    if (opts.offsetInValue !== undefined) {
      // Point inside a scalar (an expression's bad token), but only when the source text up to there
      // is the value verbatim: escapes, folded lines and block scalars would shift the column.
      const node = this.doc.getIn(path, true) as Node | undefined;
      const start = rangeStart(node);
      const value = isScalar(node) ? node.value : undefined;
      if (start !== undefined && typeof value === "string") {
        const from = start + (this.text[start] === '"' || this.text[start] === "'" ? 1 : 0);
        if (this.text.slice(from, from + opts.offsetInValue) === value.slice(0, opts.offsetInValue)) {
          const p = this.lines.linePos(from + opts.offsetInValue);
          return { file: this.file, line: p.line, column: p.col, path: formatPath(path), message };
        }
      }
    }
    return { file: this.file, line: at.line, column: at.column, path: formatPath(path), message };
  }
}

function rangeStart(n: unknown): number | undefined {
  if (n && typeof n === "object" && "range" in n) {
    const r = (n as { range?: [number, number, number] | null }).range;
    if (r) return r[0];
  }
  if (isPair(n)) return rangeStart(n.key);
  return undefined;
}

function formatPath(path: Path): string {
  let s = "";
  for (const seg of path) s += typeof seg === "number" ? `[${seg}]` : s ? `.${seg}` : seg;
  return s;
}

/** Parse YAML text; every syntax problem becomes a located Problem. */
export function parsePlaybookText(file: string, text: string): { source: PlaybookSource; value: unknown } {
  if (Buffer.byteLength(text) > MAX_PLAYBOOK_BYTES) {
    throw new PlaybookInvalidError([
      {
        file,
        line: 1,
        column: 1,
        path: "",
        message: `the file is larger than ${MAX_PLAYBOOK_BYTES} bytes; split it or trim it`,
      },
    ]);
  }
  // Measured before composing: the composer recurses once per level and would exhaust the stack.
  const tooDeep = depthProblem(file, text);
  if (tooDeep) throw new PlaybookInvalidError([tooDeep]);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
  const source = new PlaybookSource(file, text, doc, lines);
  const problems: Problem[] = doc.errors.map((e) => {
    const p = lines.linePos(e.pos[0]);
    return { file, line: p.line, column: p.col, path: "", message: `YAML: ${e.message.split("\n")[0]}` };
  });
  problems.push(...tagAndKeyProblems(file, text, doc, lines));
  if (problems.length) throw new PlaybookInvalidError(problems);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    throw new PlaybookInvalidError([
      {
        file,
        line: 1,
        column: 1,
        path: "",
        message:
          `YAML: ${(e as Error).message} (aliases are limited ` + `to ${MAX_ALIASES} expansions to refuse alias bombs)`,
      },
    ]);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new PlaybookInvalidError([
      { file, line: 1, column: 1, path: "", message: "a playbook is a YAML mapping with version, name and steps" },
    ]);
  }
  return { source, value };
}

/** The playbook's text: a regular file of at most MAX_PLAYBOOK_BYTES (never a FIFO, a device or a directory). */
export function readPlaybookFile(file: string): string {
  return readRegularFile(file, MAX_PLAYBOOK_BYTES);
}

/** The value at `path` inside a plain JS document, or undefined. */
export function getAt(doc: unknown, p: Path): unknown {
  let v = doc;
  for (const k of p) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

/**
 * A deliberately small JSON-path subset for reading one value out of a JSON
 * document (a health endpoint's body, a command's output). No filters, no
 * wildcards, no script: a path names exactly one place, so a check can say
 * precisely what it read.
 *
 * Grammar:
 *   path    := "$" segment*
 *   segment := "." name            name: letters, digits, `_`, `-`, `$` (e.g. `.inFlight`, `.x-count`)
 *            | "[" index "]"       index: a non-negative integer (`[0]`), or negative to count from the end (`[-1]`)
 *            | "[" quoted "]"      quoted: a '…' or "…" key, `\` escapes the next character (`["a.b"]`)
 *
 * Examples: `$`, `$.status`, `$.checks[0].state`, `$.items[-1]`, `$["content-type"]`.
 */
import type { Json } from "../../core/json.js";

export type PathSegment = { key: string } | { index: number };

const NAME = /[A-Za-z0-9_$-]+/y;
const INDEX = /-?\d+/y;

/** Parse a path; throws RangeError naming the position and what was expected. */
export function parseJsonPath(path: string): PathSegment[] {
  if (!path.startsWith("$")) throw new RangeError(`JSON path "${path}" must start with "$" (e.g. $.status)`);
  const segments: PathSegment[] = [];
  let pos = 1;
  const fail = (what: string): never => {
    throw new RangeError(`JSON path "${path}": expected ${what} at position ${pos + 1}`);
  };
  while (pos < path.length) {
    const c = path[pos];
    if (c === ".") {
      pos += 1;
      NAME.lastIndex = pos;
      const m = NAME.exec(path);
      if (!m) fail('a property name after "."');
      segments.push({ key: m![0] });
      pos = NAME.lastIndex;
    } else if (c === "[") {
      const q = path[pos + 1];
      if (q === '"' || q === "'") {
        let key = "";
        let i = pos + 2;
        for (; i < path.length && path[i] !== q; i++) {
          if (path[i] === "\\") i++;
          if (i < path.length) key += path[i];
        }
        if (i >= path.length) fail(`a closing ${q}`);
        pos = i + 1;
        if (path[pos] !== "]") fail('"]"');
        segments.push({ key });
        pos += 1;
      } else {
        INDEX.lastIndex = pos + 1;
        const m = INDEX.exec(path);
        if (!m) fail('an array index or a quoted key after "["');
        pos = INDEX.lastIndex;
        if (path[pos] !== "]") fail('"]"');
        segments.push({ index: Number(m![0]) });
        pos += 1;
      }
    } else {
      fail('"." or "["');
    }
  }
  return segments;
}

/** Whether `path` parses; for schema refinements. */
export function isJsonPath(path: string): boolean {
  try {
    parseJsonPath(path);
    return true;
  } catch {
    return false;
  }
}

export type PathLookup = { found: true; value: Json } | { found: false };

/**
 * Read the value at `path` in `doc`. A missing key, an index
 * out of range or indexing a non-container is `found: false`.
 */
export function readJsonPath(doc: Json | undefined, path: string | PathSegment[]): PathLookup {
  const segments = typeof path === "string" ? parseJsonPath(path) : path;
  if (doc === undefined) return { found: false };
  let cur: Json = doc;
  for (const seg of segments) {
    if ("key" in seg) {
      if (cur === null || typeof cur !== "object" || Array.isArray(cur) || !Object.hasOwn(cur, seg.key))
        return { found: false };
      cur = cur[seg.key]!;
    } else {
      if (!Array.isArray(cur)) return { found: false };
      const i = seg.index < 0 ? cur.length + seg.index : seg.index;
      if (i < 0 || i >= cur.length) return { found: false };
      cur = cur[i]!;
    }
  }
  return { found: true, value: cur };
}

/**
 * Limits on the shape of a playbook's YAML, checked before and right after
 * it is composed, so that hostile or careless input gets a located problem
 * instead of an exhausted stack or a surprising value:
 *
 * - nesting depth (the composer and every later walk recurse once per level;
 *   1,000 levels exhaust Node's stack), measured on the parser's token tree,
 *   which is built without recursion;
 * - explicit tags other than YAML's core ones (`!!js/function`, `!custom`):
 *   cutover would otherwise read them as plain strings, silently;
 * - the key `__proto__`, which JavaScript objects cannot hold as data (it
 *   would be dropped or would replace the object's prototype).
 */
import { isPair, isScalar, LineCounter, Parser, visit, type Document } from "yaml";
import type { Problem } from "../core/errors.js";

/** Deeper nesting is refused: a playbook needs about 10 levels; 64 leaves room and stays far from the stack's limit. */
const MAX_YAML_DEPTH = 64;

/** The tags of YAML's core schema: anything else is refused rather than read as a string. */
const CORE_TAGS = new Set(["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`));

interface CstLike {
  type?: string;
  offset?: number;
  value?: unknown;
  key?: unknown;
  items?: unknown[];
}

const COLLECTIONS = new Set(["block-map", "block-seq", "flow-collection"]);

/** The first place where collections nest deeper than MAX_YAML_DEPTH, as a text offset; undefined when none does. */
function tooDeepAt(text: string, lines: LineCounter): number | undefined {
  const stack: [CstLike, number][] = [];
  for (const token of new Parser(lines.addNewLine).parse(text)) stack.push([token as CstLike, 0]);
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    const d = node.type && COLLECTIONS.has(node.type) ? depth + 1 : depth;
    if (d > MAX_YAML_DEPTH) return node.offset ?? 0;
    const children: unknown[] = [node.value, node.key];
    if (Array.isArray(node.items)) for (const item of node.items as CstLike[]) children.push(item?.key, item?.value);
    for (const c of children) if (c && typeof c === "object") stack.push([c as CstLike, d]);
  }
  return undefined;
}

export function depthProblem(file: string, text: string): Problem | undefined {
  const lines = new LineCounter();
  const at = tooDeepAt(text, lines);
  if (at === undefined) return undefined;
  const p = lines.linePos(at);
  return {
    file,
    line: p.line,
    column: p.col,
    path: "",
    message: `YAML is nested more than ${MAX_YAML_DEPTH} levels deep here; a playbook never needs that many`,
  };
}

/** Explicit non-core tags and `__proto__` keys, each located. */
export function tagAndKeyProblems(file: string, text: string, doc: Document, lines: LineCounter): Problem[] {
  const out: Problem[] = [];
  const at = (offset: number, message: string) => {
    const p = lines.linePos(offset);
    out.push({ file, line: p.line, column: p.col, path: "", message });
  };
  visit(doc, {
    Node(_key, node) {
      if (node.tag && !CORE_TAGS.has(node.tag)) {
        const shown = node.tag.replace(/^tag:yaml\.org,2002:/, "!!");
        at(
          tagStart(text, node.range?.[0] ?? 0),
          `YAML tag ${shown} is not supported: a playbook holds plain strings, numbers, booleans, null, lists ` +
            `and mappings; remove the tag`,
        );
      }
    },
    Pair(_key, pair) {
      if (isPair(pair) && isScalar(pair.key) && pair.key.value === "__proto__") {
        at(pair.key.range?.[0] ?? 0, `"__proto__" cannot be used as a name (JavaScript reserves it); choose another`);
      }
    },
  });
  return out;
}

/** The node's range starts at its value: point at the tag written just before it (`!!js/function "x"`). */
function tagStart(text: string, valueStart: number): number {
  const m = /!\S*\s*$/.exec(text.slice(Math.max(0, valueStart - 200), valueStart));
  return m ? valueStart - m[0].length : valueStart;
}

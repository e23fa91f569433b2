/**
 * JSON Schema → Markdown tables. Works on the JSON Schema zod produces
 * (`z.toJSONSchema`), never on zod internals, so the reference shows exactly
 * what `cutover schema` gives editors: every field with its type, whether it
 * is required, its default, its allowed values and its description; nested
 * objects get their own table.
 */
import { DURATION_PATTERN, formatDuration } from "../core/duration.js";

export type JsonSchema = Record<string, unknown>;

const isObj = (v: unknown): v is JsonSchema => typeof v === "object" && v !== null && !Array.isArray(v);

/** A table of fields, under a heading named by its path in the document (`steps[].retry`). */
export interface FieldTable {
  path: string;
  anchor: string;
  description?: string;
  rows: { field: string; type: string; required: boolean; default?: string; description: string }[];
}

export class SchemaDoc {
  private readonly tables: FieldTable[] = [];
  private readonly named = new Map<string, string>();

  /** `root` resolves `#/...` references; `anchorPrefix` keeps anchors unique when several schemas share a page. */
  constructor(
    private readonly root: JsonSchema,
    private readonly anchorPrefix = "",
  ) {}

  /** All tables of an object schema and of the objects nested in it, in document order. */
  describe(node: unknown, path: string): FieldTable[] {
    this.tables.length = 0;
    this.named.clear();
    this.walk(this.resolve(node), path, new Set());
    return [...this.tables];
  }

  resolve(node: unknown, seen = 0): JsonSchema {
    if (!isObj(node)) return {};
    if (typeof node.$ref === "string" && seen < 16) {
      const { $ref, ...rest } = node;
      const target = this.resolve(pointer(this.root, $ref), seen + 1);
      // Keywords beside $ref (a field's own description) win over the target's.
      return { ...target, ...rest };
    }
    return node;
  }

  private anchorOf(path: string): string {
    const slug = path
      .replace(/\[\]/g, "")
      .replace(/<[^>]*>/g, "x")
      .replace(/[^A-Za-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .toLowerCase();
    return `${this.anchorPrefix}${slug || "top-level"}`;
  }

  private walk(node: JsonSchema, path: string, refs: Set<string>): void {
    const props = isObj(node.properties) ? node.properties : undefined;
    if (!props) return;
    const required = new Set(Array.isArray(node.required) ? (node.required as string[]) : []);
    const table: FieldTable = { path, anchor: this.anchorOf(path), description: str(node.description), rows: [] };
    this.tables.push(table);
    const nested: [JsonSchema, string, Set<string>][] = [];
    for (const [field, raw] of Object.entries(props)) {
      const childPath = path ? `${path}.${field}` : field;
      const here = new Set(refs);
      const child = this.resolve(raw);
      for (const [obj, sub, ref] of this.objectsIn(raw, childPath)) {
        if (ref && here.has(ref)) {
          // recursion (a group's steps): link back instead of repeating
          this.named.set(sub, this.named.get(ref) ?? ref);
          continue;
        }
        if (ref) {
          here.add(ref);
          this.named.set(ref, sub);
        }
        this.named.set(sub, sub);
        nested.push([obj, sub, here]);
      }
      table.rows.push({
        field,
        type: this.typeText(raw, childPath),
        required: required.has(field),
        default: child.default === undefined ? undefined : "`" + JSON.stringify(child.default) + "`",
        description: str(child.description) ?? "",
      });
    }
    for (const [obj, sub, here] of nested) this.walk(obj, sub, here);
  }

  /** Object schemas with fields reachable from a field: itself, a list's items, a map's values, union branches. */
  private objectsIn(raw: unknown, path: string, depth = 0): [JsonSchema, string, string | undefined][] {
    if (!isObj(raw) || depth > 4) return [];
    const ref = typeof raw.$ref === "string" ? raw.$ref : undefined;
    const node = this.resolve(raw);
    const out: [JsonSchema, string, string | undefined][] = [];
    if (isObj(node.properties) && Object.keys(node.properties).length) out.push([node, path, ref]);
    if (isObj(node.items)) out.push(...this.objectsIn(node.items, `${path}[]`, depth + 1));
    if (isObj(node.additionalProperties))
      out.push(...this.objectsIn(node.additionalProperties, `${path}.<name>`, depth + 1));
    for (const k of ["anyOf", "oneOf"])
      if (Array.isArray(node[k])) for (const b of node[k]) out.push(...this.objectsIn(b, path, depth + 1));
    return out;
  }

  /** A short, human type: `string`, `list of string`, `"pause" \| "abort"`, `duration`, `object` (linked)... */
  typeText(raw: unknown, path: string, depth = 0): string {
    const node = this.resolve(raw);
    if (depth > 6) return "any";
    const duration = durationRangeText(node);
    if (duration !== undefined) return duration;
    if (isJsonValue(node)) return "any JSON value";
    if ("const" in node) return "`" + JSON.stringify(node.const) + "`";
    if (Array.isArray(node.enum)) return node.enum.map((v) => "`" + JSON.stringify(v) + "`").join(" \\| ");
    const branches = (node.anyOf ?? node.oneOf) as unknown[] | undefined;
    if (Array.isArray(branches)) return orList(unique(branches.map((b) => this.typeText(b, path, depth + 1))));
    const types = Array.isArray(node.type) ? (node.type as string[]) : typeof node.type === "string" ? [node.type] : [];
    if (types.length > 1) return orList(types);
    switch (types[0]) {
      case "array": {
        const items = isObj(node.items) ? group(this.typeText(node.items, `${path}[]`, depth + 1)) : "any";
        const min = typeof node.minItems === "number" && node.minItems > 0 ? ` (at least ${node.minItems})` : "";
        return `list of ${items}${min}`;
      }
      case "object": {
        if (isObj(node.properties) && Object.keys(node.properties).length) return this.link(path);
        if (isObj(node.additionalProperties) && Object.keys(node.additionalProperties).length) {
          return `map of ${group(this.typeText(node.additionalProperties, `${path}.<name>`, depth + 1))}`;
        }
        return "object";
      }
      case "string":
        return isExpression(node) ? "expression `${{ … }}`" : "string" + constraints(node);
      case "integer":
      case "number":
        return types[0] + range(node);
      case undefined:
        return "any";
      default:
        return types[0]!;
    }
  }

  private link(path: string): string {
    const target = this.named.get(path) ?? path;
    return `[object](#${this.anchorOf(target)})`;
  }
}

/** Render tables as Markdown; `level` is the heading level of each table. */
export function renderTables(
  tables: FieldTable[],
  level: number,
  title = (t: FieldTable) => "`" + t.path + "`",
): string {
  const out: string[] = [];
  for (const t of tables) {
    out.push(`<a id="${t.anchor}"></a>`, "", `${"#".repeat(level)} ${title(t)}`, "");
    if (t.description) out.push(cell(t.description), "");
    out.push("| Field | Type | Required | Default | Description |", "|---|---|---|---|---|");
    for (const r of t.rows)
      out.push(
        `| \`${r.field}\` | ${r.type} | ${r.required ? "yes" : ""} | ${r.default ? cell(r.default) : ""} | ` +
          `${cell(r.description)} |`,
      );
    out.push("");
  }
  return out.join("\n");
}

/** Text fit for one table cell. */
export function cell(s: string): string {
  return s.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
}

function pointer(root: JsonSchema, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(1).split("/").filter(Boolean))
    node = isObj(node) ? node[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
  return node;
}

/** A duration (src/core/duration.ts: milliseconds, or text with its pattern) as `duration (1ms–7d)`; else undefined. */
function durationRangeText(n: JsonSchema): string | undefined {
  const [ms, text] = Array.isArray(n.anyOf) ? n.anyOf : [];
  if (!isObj(ms) || !isObj(text) || ms.type !== "number" || text.pattern !== DURATION_PATTERN.source) return undefined;
  const bound = (v: unknown) => (typeof v === "number" ? formatDuration(v) : "");
  return `duration (${bound(ms.minimum)}–${bound(ms.maximum)})`;
}

/** zod's z.json(): a recursive union of every JSON type. */
function isJsonValue(n: JsonSchema): boolean {
  const b = n.anyOf;
  if (!Array.isArray(b)) return false;
  const types = new Set(b.map((x) => (isObj(x) ? x.type : undefined)));
  return ["string", "number", "boolean", "null", "array", "object"].every((t) => types.has(t));
}

/** The playbook's Expression: a string that is one whole `${{ … }}`. */
function isExpression(n: JsonSchema): boolean {
  return typeof n.pattern === "string" && n.pattern.startsWith("^\\s*\\$\\{\\{");
}

/** Parenthesise a union inside "list of" / "map of" so it reads unambiguously. */
function group(t: string): string {
  return / or /.test(t) ? `(${t})` : t;
}

function constraints(n: JsonSchema): string {
  const parts: string[] = [];
  if (typeof n.minLength === "number" && n.minLength > 0)
    parts.push(n.minLength === 1 ? "non-empty" : `at least ${n.minLength} characters`);
  if (typeof n.maxLength === "number") parts.push(`at most ${n.maxLength} characters`);
  if (typeof n.pattern === "string") parts.push("matching `" + n.pattern + "`");
  if (typeof n.format === "string") parts.push(n.format);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

function range(n: JsonSchema): string {
  // zod writes the safe-integer bounds on every int(); they say nothing to a reader.
  const min =
    typeof n.minimum === "number" && n.minimum > Number.MIN_SAFE_INTEGER
      ? n.minimum
      : typeof n.exclusiveMinimum === "number"
        ? `>${n.exclusiveMinimum}`
        : undefined;
  const max =
    typeof n.maximum === "number" && n.maximum < Number.MAX_SAFE_INTEGER
      ? n.maximum
      : typeof n.exclusiveMaximum === "number"
        ? `<${n.exclusiveMaximum}`
        : undefined;
  if (min === undefined && max === undefined) return "";
  if (min !== undefined && max !== undefined && typeof min === "number" && typeof max === "number")
    return ` (${min}–${max})`;
  return (
    ` (${min !== undefined ? (typeof min === "number" ? `≥ ${min}` : min) : ""}` +
    `${min !== undefined && max !== undefined ? ", " : ""}` +
    `${max !== undefined ? (typeof max === "number" ? `≤ ${max}` : max) : ""})`
  );
}

function orList(xs: string[]): string {
  return xs.length <= 1 ? (xs[0] ?? "any") : `${xs.slice(0, -1).join(", ")} or ${xs[xs.length - 1]}`;
}

const unique = (xs: string[]) => [...new Set(xs)];
const str = (v: unknown) => (typeof v === "string" ? v : undefined);

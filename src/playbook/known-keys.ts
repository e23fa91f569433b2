/**
 * The field names a schema allows at a path, for the "did you mean" of an
 * unknown field. It walks the JSON Schema zod produces (properties, items,
 * additionalProperties, $ref, anyOf/oneOf/allOf) rather than zod internals,
 * so it sees exactly what `cutover schema` shows editors.
 */
import { z } from "zod";

type JsonSchema = Record<string, unknown>;
const isObj = (v: unknown): v is JsonSchema => typeof v === "object" && v !== null && !Array.isArray(v);

// Built once per schema: the playbook schema is large and an unknown field is reported once per occurrence.
const cache = new WeakMap<z.ZodType, JsonSchema | null>();

function jsonSchemaOf(schema: z.ZodType): JsonSchema | null {
  if (!cache.has(schema)) {
    let js: JsonSchema | null;
    try {
      js = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
    } catch {
      js = null; // a schema JSON Schema cannot express: no suggestion rather than a crash
    }
    cache.set(schema, js);
  }
  return cache.get(schema)!;
}

function resolveRef(root: JsonSchema, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(1).split("/").filter(Boolean))
    node = isObj(node) ? node[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
  return node;
}

export function knownKeys(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  const root = jsonSchemaOf(schema);
  if (!root) return [];
  const keys = new Set<string>();
  const visit = (node: unknown, i: number, hops: number): void => {
    // `hops` bounds $ref chains that make no progress along the path.
    if (!isObj(node) || hops > 16) return;
    if (typeof node.$ref === "string") visit(resolveRef(root, node.$ref), i, hops + 1);
    for (const k of ["anyOf", "oneOf", "allOf"]) {
      const branches = node[k];
      if (Array.isArray(branches)) for (const b of branches) visit(b, i, hops + 1);
    }
    if (i === path.length) {
      if (isObj(node.properties)) for (const k of Object.keys(node.properties)) keys.add(k);
      return;
    }
    const seg = path[i]!;
    if (typeof seg === "number") {
      if (Array.isArray(node.prefixItems)) visit(node.prefixItems[seg], i + 1, 0);
      visit(node.items, i + 1, 0);
      return;
    }
    const props = isObj(node.properties) ? node.properties : {};
    if (Object.hasOwn(props, seg)) visit(props[seg], i + 1, 0);
    else visit(node.additionalProperties, i + 1, 0);
  };
  visit(root, 0, 0);
  return [...keys];
}

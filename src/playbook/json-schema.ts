/**
 * `cutover schema`: JSON Schema for editors (YAML language servers), derived
 * from the same zod schemas that validate playbooks, with each action's
 * `with:` and each provider's entry attached by kind.
 */
import { z } from "zod";
import type { ActionDefinition } from "../core/action.js";
import type { ProviderDefinition } from "../core/provider.js";
import { PlaybookSchema } from "./schema.js";

type JsonSchema = Record<string, unknown>;

function toSchema(s: z.ZodType): JsonSchema {
  // "input" describes what a person writes (defaults make fields optional).
  return z.toJSONSchema(s, { io: "input", unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema;
}

export function playbookJsonSchema(
  actions: ActionDefinition<unknown>[],
  providers: ProviderDefinition<unknown, unknown>[],
): JsonSchema {
  const root = toSchema(PlaybookSchema);
  root.$id = "https://cutover.dev/schema/playbook-v1.json";
  root.title = "cutover playbook";
  const defs = (root.$defs ?? {}) as Record<string, JsonSchema>;
  root.$defs = defs;
  defs.templated = {
    type: "string",
    pattern: "\\$\\{\\{",
    description: "A string holding ${{ }}: resolved when the step runs, then checked against the field's type.",
  };
  defs.actionInputs = {
    description: "The `with:` block of each action kind.",
    allOf: actions.map((a) => ({
      if: { properties: { action: { const: a.kind } }, required: ["action"] },
      then: { properties: { with: embed(toSchema(a.with), `${a.kind}.with.`, defs) } },
    })),
  };
  defs.providerEntries = {
    description: "The fields of each provider kind.",
    allOf: providers.map((p) => ({
      if: { properties: { provider: { const: p.kind } }, required: ["provider"] },
      then: withProvider(embed(toSchema(p.config), `${p.kind}.config.`, defs), p.kind),
    })),
  };
  // Hook them where they apply, or editors never see them: every step, every environment entry.
  const props = root.properties as Record<string, JsonSchema>;
  const stepRef = (props.steps?.items as JsonSchema | undefined)?.$ref;
  const step = typeof stepRef === "string" ? defs[stepRef.replace("#/$defs/", "")] : undefined;
  if (step) step.allOf = [{ $ref: "#/$defs/actionInputs" }];
  const entry = props.environment?.additionalProperties as JsonSchema | undefined;
  if (entry) entry.allOf = [{ $ref: "#/$defs/providerEntries" }];
  return root;
}

function withProvider(s: JsonSchema, kind: string): JsonSchema {
  const props = (s.properties ?? {}) as Record<string, unknown>;
  return { ...s, properties: { ...props, provider: { const: kind } } };
}

function stripMeta(s: JsonSchema): JsonSchema {
  const { $schema: _s, ...rest } = s;
  return rest;
}

const isObj = (v: unknown): v is JsonSchema => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Make a sub-schema (an action's `with`, a provider's config) fit inside the
 * playbook schema: its own $defs move to the root under `prefix` (a `#/$defs/x`
 * reference resolves against the document root, where the playbook's own
 * definitions live), and every value may also be a `${{ }}` template, since
 * templates are resolved before the action checks its inputs.
 */
function embed(s: JsonSchema, prefix: string, rootDefs: Record<string, JsonSchema>): JsonSchema {
  const renamed = renameRefs(stripMeta(s), prefix) as JsonSchema;
  const { $defs, ...body } = allowTemplates(renamed) as JsonSchema;
  // keys already carry the prefix
  if (isObj($defs)) for (const [k, v] of Object.entries($defs)) rootDefs[k] = v as JsonSchema;
  return body;
}

function renameRefs(node: unknown, prefix: string): unknown {
  if (Array.isArray(node)) return node.map((n) => renameRefs(n, prefix));
  if (!isObj(node)) return node;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "$ref" && typeof v === "string" && v.startsWith("#/$defs/")) out[k] = `#/$defs/${prefix}${v.slice(8)}`;
    else if (k === "$defs" && isObj(v))
      out[k] = Object.fromEntries(Object.entries(v).map(([d, x]) => [prefix + d, renameRefs(x, prefix)]));
    else out[k] = renameRefs(v, prefix);
  }
  return out;
}

/** Every field value (properties, items, map values) also accepts a templated string. */
function allowTemplates(node: unknown): unknown {
  if (!isObj(node)) return node;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "properties" && isObj(v))
      out[k] = Object.fromEntries(Object.entries(v).map(([f, x]) => [f, orTemplate(allowTemplates(x))]));
    else if ((k === "items" || k === "additionalProperties") && isObj(v) && Object.keys(v).length)
      out[k] = orTemplate(allowTemplates(v));
    else if ((k === "anyOf" || k === "oneOf" || k === "allOf") && Array.isArray(v)) out[k] = v.map(allowTemplates);
    else if (k === "$defs" && isObj(v))
      out[k] = Object.fromEntries(Object.entries(v).map(([d, x]) => [d, allowTemplates(x)]));
    else out[k] = v;
  }
  return out;
}

function orTemplate(node: unknown): unknown {
  if (!isObj(node)) return node;
  const plainString =
    node.type === "string" && Object.keys(node).every((k) => k === "type" || k === "description" || k === "default");
  if (plainString) return node;
  // Keep the annotations outside, where editors show them on hover.
  const { description, default: dflt, ...rest } = node;
  return {
    ...(description !== undefined ? { description } : {}),
    ...(dflt !== undefined ? { default: dflt } : {}),
    anyOf: [rest, { $ref: "#/$defs/templated" }],
  };
}

/** Action kind → its input schema, for `cutover schema --actions` and docs. */
export function actionsJsonSchema(actions: ActionDefinition<unknown>[]): JsonSchema {
  const out: JsonSchema = {};
  for (const a of actions) {
    // Its own $id makes each `with` schema a resource of its own: its `#/$defs/...` references resolve inside it.
    const withSchema = { $id: `https://cutover.dev/schema/actions/${a.kind}.json`, ...stripMeta(toSchema(a.with)) };
    out[a.kind] = { summary: a.summary, idempotent: a.idempotent, undo: a.undo, with: withSchema };
  }
  return out;
}

/**
 * `cutover schema`: JSON Schema for editors (YAML language servers), derived
 * from the same zod schemas that validate playbooks, with each action's
 * `with:` and each provider's entry attached by kind.
 */
import { z } from "zod";
import type { ActionDefinition, ProviderDefinition } from "../actions/types.js";
import { PlaybookSchema } from "./schema.js";

type JsonSchema = Record<string, unknown>;

function toSchema(s: z.ZodType): JsonSchema {
  // "input" describes what a person writes (defaults make fields optional).
  return z.toJSONSchema(s, { io: "input", unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema;
}

export function playbookJsonSchema(actions: ActionDefinition<unknown>[], providers: ProviderDefinition<unknown, unknown>[]): JsonSchema {
  const root = toSchema(PlaybookSchema);
  root.$id = "https://cutover.dev/schema/playbook-v1.json";
  root.title = "cutover playbook";
  const defs = (root.$defs ?? {}) as Record<string, JsonSchema>;
  root.$defs = defs;
  defs.actionInputs = {
    description: "The `with:` block of each action kind.",
    allOf: actions.map((a) => ({
      if: { properties: { action: { const: a.kind } }, required: ["action"] },
      then: { properties: { with: stripMeta(toSchema(a.with)) } },
    })),
  };
  defs.providerEntries = {
    description: "The fields of each provider kind.",
    allOf: providers.map((p) => ({
      if: { properties: { provider: { const: p.kind } }, required: ["provider"] },
      then: withProvider(stripMeta(toSchema(p.config)), p.kind),
    })),
  };
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

/** Action kind → its input schema, for `cutover schema --actions` and docs. */
export function actionsJsonSchema(actions: ActionDefinition<unknown>[]): JsonSchema {
  const out: JsonSchema = {};
  for (const a of actions) out[a.kind] = { summary: a.summary, idempotent: a.idempotent, undo: a.undo, with: stripMeta(toSchema(a.with)) };
  return out;
}

/** JSON Schema → Markdown tables: types, defaults, nesting, recursion. */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { cell, renderTables, SchemaDoc, type JsonSchema } from "../../src/docs/schema-markdown.js";
import { DURATION_RANGES } from "../../src/core/duration.js";
import { durationSchema } from "../../src/core/duration-schema.js";

const js = (s: z.ZodType) => z.toJSONSchema(s, { io: "input", unrepresentable: "any" }) as JsonSchema;

describe("SchemaDoc", () => {
  const schema = js(
    z
      .object({
        name: z.string().min(1).describe("The name."),
        mode: z.enum(["fast", "safe"]).default("safe").describe("How."),
        wait: durationSchema("How long.", DURATION_RANGES.pause).optional(),
        tags: z
          .array(z.union([z.string(), z.number()]))
          .min(1)
          .optional()
          .describe("Tags."),
        env: z.record(z.string(), z.string()).optional().describe("Variables."),
        value: z.json().optional().describe("Anything."),
        nested: z
          .object({ depth: z.number().int().min(0).max(9).describe("How deep.") })
          .optional()
          .describe("A nested block."),
        flag: z
          .union([z.literal(false), z.object({ on: z.boolean().describe("On?") })])
          .optional()
          .describe("Off, or settings."),
      })
      .describe("The root."),
  );
  const tables = new SchemaDoc(schema, "x-").describe(schema, "with");

  it("renders each field's type, requiredness, default and description", () => {
    const rows = Object.fromEntries(tables[0]!.rows.map((r) => [r.field, r]));
    expect(rows.name).toEqual({
      field: "name",
      type: "string (non-empty)",
      required: true,
      default: undefined,
      description: "The name.",
    });
    expect(rows.mode).toMatchObject({ type: '`"fast"` \\| `"safe"`', required: false, default: '`"safe"`' });
    expect(rows.wait!.type).toBe("duration (0ms–1d)");
    expect(rows.tags!.type).toBe("list of (string or number) (at least 1)");
    expect(rows.env!.type).toBe("map of string");
    expect(rows.value!.type).toBe("any JSON value");
    expect(rows.nested!.type).toBe("[object](#x-with-nested)");
    expect(rows.flag!.type).toBe("`false` or [object](#x-with-flag)");
  });

  it("gives nested objects their own tables, in document order", () => {
    expect(tables.map((t) => t.path)).toEqual(["with", "with.nested", "with.flag"]);
    expect(tables[1]!.rows[0]).toMatchObject({ field: "depth", type: "integer (0–9)", description: "How deep." });
    expect(tables[0]!.description).toBe("The root.");
  });

  it("links a recursive schema back to its first table instead of repeating it", () => {
    interface Node {
      id: string;
      children?: Node[];
    }
    const NodeSchema: z.ZodType<Node> = z.object({
      id: z.string().describe("Id."),
      get children() {
        return z.array(NodeSchema).optional().describe("Children.");
      },
    });
    const root = js(z.object({ nodes: z.array(NodeSchema).describe("Nodes.") }));
    const t = new SchemaDoc(root).describe(root, "");
    expect(t.map((x) => x.path)).toEqual(["", "nodes[]"]);
    expect(t[1]!.rows.find((r) => r.field === "children")!.type).toBe("list of [object](#nodes)");
  });
});

describe("renderTables", () => {
  it("writes an anchor, a heading and a table, escaping pipes and newlines", () => {
    const md = renderTables(
      [
        {
          path: "with",
          anchor: "a-with",
          rows: [{ field: "f", type: "string", required: true, description: "a | b\nc" }],
        },
      ],
      3,
    );
    expect(md).toBe(
      '<a id="a-with"></a>\n\n### `with`\n\n| Field | Type | Required | Default | Description |\n' +
        "|---|---|---|---|---|\n| `f` | string | yes |  | a \\| b c |\n",
    );
    expect(cell("x|y")).toBe("x\\|y");
  });
});

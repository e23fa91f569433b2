/**
 * Zod building blocks for the generic actions' `with:` schemas. No
 * transforms: the schemas also generate JSON Schema and docs, so values stay
 * as written ("30s") and are parsed at run time with parseDuration.
 */
import { z } from "zod";
import { DURATION_RANGES, type DurationRange } from "../../core/duration.js";
import { durationSchema } from "../../core/duration-schema.js";
import { isJsonPath } from "./json-path.js";

/** A duration (src/core/duration.ts): milliseconds as a number, or text such as "500ms", "30s", "1m30s", in `range`. */
export function durationField(description: string, range: DurationRange = DURATION_RANGES.any) {
  return durationSchema(description, range);
}

/**
 * A scalar an expression may produce where text is meant: `"${{ params.replicas }}"`
 * keeps its number type, and an argv or a header wants it as text.
 */
const textLike = z.union([z.string(), z.number(), z.boolean()]);

/** Text of each item: numbers and booleans from whole-string expressions, stringified. */
export function asText(items: readonly (string | number | boolean)[]): string[] {
  return items.map(String);
}

/** An argv array: the program, then its arguments (numbers and booleans are stringified). Never a shell line. */
export function argvField(description: string) {
  return z.array(textLike).min(1, 'give at least the program, e.g. ["./deploy.sh", "v2"]').describe(description);
}

/** A JSON path in the supported subset (`$.a.b[0]["c-d"]`). */
export function jsonPathField(description: string) {
  return z
    .string()
    .refine(isJsonPath, { message: "expected a JSON path such as $.status or $.items[0].state" })
    .describe(description);
}

/** HTTP header map. Values may hold secrets: they are sent, never logged. */
export const headersField = z
  .record(z.string(), textLike)
  .describe("Request headers. Values may come from `${{ secrets.X }}`; they are never logged or journaled.");

export const httpMethodField = z
  .enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
  .default("GET")
  .describe("HTTP method.");

export const httpBodyField = z
  .union([z.string(), z.json()])
  .describe(
    "Request body: a string is sent as is; anything else is sent as JSON with `content-type: application/json` " +
      "unless a header says otherwise.",
  );

/** Environment variable values: expressions may yield numbers or booleans, which are stringified. */
export const envField = z
  .record(z.string(), textLike)
  .describe(
    "Environment variables for the command, set over the inherited ones. Values may come from `${{ secrets.X " +
      "}}`; they are never logged.",
  );

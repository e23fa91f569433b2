/**
 * Secrets never reach an event, a log line or the journal (invariant 7).
 * Every secret value the run touches is registered here; text and outputs
 * pass through `redact` before they are printed or appended.
 */
import type { Json } from "../core/json.js";

/** Values shorter than this are not redacted: masking "1" or "ok" everywhere would garble logs. */
const MIN_SECRET_LENGTH = 4;

export class Redactor {
  private values: string[] = [];

  add(value: string | undefined): void {
    if (value === undefined || value.length < MIN_SECRET_LENGTH || this.values.includes(value)) return;
    this.values.push(value);
    // Longest first, so a secret containing another is masked whole.
    this.values.sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const v of this.values) out = out.split(v).join("***");
    return out;
  }

  redactJson<T extends Json | undefined>(value: T): T {
    if (this.values.length === 0 || value === undefined) return value;
    if (typeof value === "string") return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactJson(v)) as T;
    if (value && typeof value === "object") {
      const out: Record<string, Json> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.redactJson(v);
      return out as T;
    }
    return value;
  }
}

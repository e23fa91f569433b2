/**
 * Secrets never reach an event, a log line or the journal (invariant 7).
 * Every secret value the run touches is registered here; text and outputs
 * pass through `redact` before they are printed or appended.
 *
 * A secret is masked in the forms a program commonly prints it in, not only
 * verbatim: percent-encoded (an echoed URL or form body), base64 (a Basic
 * auth header, a Kubernetes secret), JSON-escaped (a value inside printed
 * JSON), and line by line when it spans several lines (a PEM key printed by
 * a tool that logs line-wise). See docs/security.md.
 */
import type { Json } from "../core/json.js";

/** Values shorter than this are not redacted: masking "1" or "ok" everywhere would garble logs. */
const MIN_SECRET_LENGTH = 4;

/**
 * Shortest base64 fragment masked. A fragment is a substring of any base64
 * text that encodes the secret; a short one would match unrelated base64.
 */
const MIN_BASE64_FRAGMENT = 8;

const MASK = "***";

export class Redactor {
  private readonly secrets = new Set<string>();
  /** Every form masked (the secrets and their encodings), longest first. */
  private forms: string[] = [];

  /**
   * Register a secret. Numbers are masked as their decimal text and lists
   * item by item (secret params of those types); booleans cannot be masked.
   */
  add(value: Json | undefined): void {
    if (typeof value === "number") return this.addText(String(value));
    if (typeof value === "string") return this.addText(value);
    if (Array.isArray(value)) for (const v of value) this.add(v);
  }

  /** How many secrets are known. */
  get size(): number {
    return this.secrets.size;
  }

  /** Length of the longest masked form: how far apart a stream may be cut without splitting one. */
  get longest(): number {
    return this.forms[0]?.length ?? 0;
  }

  redact(text: string): string {
    let out = text;
    for (const v of this.forms) if (out.includes(v)) out = out.split(v).join(MASK);
    return out;
  }

  /** `redact` applied to every string in a JSON value, object keys included. */
  redactJson<T extends Json | undefined>(value: T): T {
    if (this.forms.length === 0 || value === undefined) return value;
    if (typeof value === "string") return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactJson(v)) as T;
    if (value && typeof value === "object") {
      const out: Record<string, Json> = {};
      for (const [k, v] of Object.entries(value)) out[this.redact(k)] = this.redactJson(v);
      return out as T;
    }
    return value;
  }

  private addText(value: string): void {
    if (value.length < MIN_SECRET_LENGTH || this.secrets.has(value)) return;
    this.secrets.add(value);
    const forms = new Set(this.forms);
    for (const f of encodedForms(value)) if (f.length >= MIN_SECRET_LENGTH) forms.add(f);
    // Longest first, so a secret containing another is masked whole.
    this.forms = [...forms].sort((a, b) => b.length - a.length);
  }
}

/** The secret and the forms it is printed in. */
function encodedForms(secret: string): string[] {
  const lines = secret.split(/\r?\n/).filter((l) => l.trim().length >= MIN_SECRET_LENGTH);
  const bases = lines.length > 1 ? [secret, ...lines] : [secret];
  const out = new Set<string>();
  for (const s of bases) {
    out.add(s);
    out.add(JSON.stringify(s).slice(1, -1));
    for (const p of [encodeURIComponent(s), encodeURI(s), encodeURIComponent(s).replace(/%20/g, "+")]) {
      out.add(p);
      out.add(p.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
    }
    for (const b of base64Fragments(s)) out.add(b);
  }
  return [...out];
}

/**
 * Substrings found in the base64 of any text that contains `secret`: the
 * encoding depends on where the secret starts modulo 3 bytes, so there is
 * one fragment per alignment, without the characters shared with the
 * neighbouring bytes. Standard and URL-safe alphabets.
 */
function base64Fragments(secret: string): string[] {
  const bytes = Buffer.from(secret, "utf8");
  const out: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const b64 = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64");
    const from = Math.ceil((offset * 8) / 6);
    const to = Math.floor(((offset + bytes.length) * 8) / 6);
    const fragment = b64.slice(from, to);
    if (fragment.length < MIN_BASE64_FRAGMENT) continue;
    out.push(fragment, fragment.replace(/\+/g, "-").replace(/\//g, "_"));
  }
  return out;
}

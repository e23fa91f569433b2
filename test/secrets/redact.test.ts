/** The redactor masks a secret in the forms programs print it in (issue 14, items 3 and 4). */
import { describe, expect, it } from "vitest";
import { Redactor } from "../../src/engine/redact.js";

const SECRET = 'pa$$ w/rd:"q"+ü-7Zx';

function redactorWith(...values: Parameters<Redactor["add"]>[0][]): Redactor {
  const r = new Redactor();
  for (const v of values) r.add(v);
  return r;
}

describe("redaction of encoded forms", () => {
  const r = redactorWith(SECRET);

  it("masks the secret percent-encoded, as in an echoed URL or form body", () => {
    const forms = [encodeURIComponent(SECRET), encodeURI(SECRET), encodeURIComponent(SECRET).replace(/%20/g, "+")];
    for (const encoded of forms) {
      const out = r.redact(`GET https://api.example/x?token=${encoded}&page=2`);
      expect(out).not.toContain(encoded);
      expect(out).toContain("&page=2");
    }
    const lower = encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
    expect(r.redact(`?t=${lower}`)).toBe("?t=***");
  });

  it("masks the secret inside base64 whatever its alignment (a Basic auth header)", () => {
    for (const prefix of ["", "u:", "user:", "x"]) {
      const header = Buffer.from(`${prefix}${SECRET}`).toString("base64");
      const out = r.redact(`Authorization: Basic ${header}`);
      // Whatever is left cannot be decoded back into the secret, not even its middle.
      const rest = out.replace("Authorization: Basic ", "").split("***");
      expect(rest.length).toBeGreaterThan(1);
      for (const piece of rest) {
        expect(Buffer.from(piece, "base64").toString("utf8")).not.toContain(SECRET.slice(2, -2));
      }
    }
    const urlSafe = Buffer.from(`a${SECRET}`).toString("base64url");
    expect(r.redact(urlSafe)).toContain("***");
  });

  it("masks the secret JSON-escaped inside printed JSON", () => {
    const printed = JSON.stringify({ password: SECRET });
    expect(printed).not.toContain(SECRET); // the quotes are escaped in JSON
    expect(r.redact(printed)).toBe('{"password":"***"}');
  });

  it("masks each line of a multi-line secret printed line by line", () => {
    const body = "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu";
    const key = `-----BEGIN KEY-----\n${body}\n-----END KEY-----`;
    const lines = redactorWith(key);
    expect(lines.redact(body)).toBe("***");
  });

  it("masks secret params of type number and list, not only strings", () => {
    const numbers = redactorWith(90210417, ["alpha-token", "beta-token"]);
    expect(numbers.redact("pin 90210417, tokens alpha-token beta-token")).toBe("pin ***, tokens *** ***");
    expect(numbers.redactJson({ pin: "90210417", list: ["alpha-token"] })).toEqual({ pin: "***", list: ["***"] });
  });

  it("masks secrets in object keys of outputs", () => {
    expect(r.redactJson({ [SECRET]: 1 })).toEqual({ "***": 1 });
  });

  it("leaves short values and ordinary text alone", () => {
    const short = redactorWith("ok", "abc");
    expect(short.redact("ok abc")).toBe("ok abc");
    expect(r.redact("nothing secret here: aGVsbG8gd29ybGQ=")).toBe("nothing secret here: aGVsbG8gd29ybGQ=");
  });
});

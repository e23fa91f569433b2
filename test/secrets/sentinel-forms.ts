/** Searching output and files for a sentinel secret, in the forms a leak takes. */

/** As is, percent-encoded, base64 (alone and in a Basic header), JSON-escaped. */
function forms(secret: string): string[] {
  return [
    ...new Set([
      secret,
      encodeURIComponent(secret),
      encodeURI(secret),
      Buffer.from(secret).toString("base64"),
      Buffer.from(`user:${secret}`).toString("base64"),
      JSON.stringify(secret).slice(1, -1),
    ]),
  ];
}

/** The text itself, and every string inside its JSON lines decoded (a form escaped once more by JSON output). */
function searchable(text: string): string {
  const strings: string[] = [text];
  const collect = (v: unknown): void => {
    if (typeof v === "string") strings.push(v);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        strings.push(k);
        collect(x);
      }
    }
  };
  for (const line of text.split("\n")) {
    try {
      if (line.startsWith("{")) collect(JSON.parse(line));
    } catch {
      // not JSON
    }
  }
  return strings.join("\n");
}

/** Each form of each secret found in `text`, as `where: "form"`. */
export function leaks(secrets: string[], where: string, text: string): string[] {
  const all = searchable(text);
  return secrets
    .flatMap(forms)
    .filter((f) => all.includes(f))
    .map((f) => `${where}: ${JSON.stringify(f)}`);
}

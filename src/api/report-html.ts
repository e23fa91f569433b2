/**
 * The run report as one self-contained HTML file (`cutover report --format html`): inline CSS and an inline SVG
 * timeline (a bar per attempt and per undo, human waits and stopped time shaded), no script, no external asset,
 * so it can be attached to a ticket or archived as a CI artifact and opened anywhere, offline.
 */
import type { RunReport } from "./report-model.js";
import { clock, dur, errorText } from "./report-md.js";
import { timeScale } from "./report-scale.js";

const esc = (v: unknown): string =>
  String(v ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

const COLOURS: Record<string, string> = {
  succeeded: "#2e7d32",
  failed: "#c62828",
  cancelled: "#ef6c00",
  interrupted: "#ef6c00",
  lost: "#8d6e63",
  running: "#1565c0",
  undo: "#6a1b9a",
};

const CSS = `body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1100px;
padding:0 1em;color:#1a1a1a}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}table{border-collapse:collapse;
width:100%;margin:.5em 0}th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
td.n{text-align:right;white-space:nowrap}.succeeded{color:#2e7d32}.failed,.aborted{color:#c62828}.paused{color:#b26a00}
.totals td:first-child{width:22em}.legend span{display:inline-block;margin-right:1.2em}.sw{display:inline-block;
width:12px;height:12px;margin-right:4px;vertical-align:-2px}svg{max-width:100%;height:auto;border:1px solid #eee}
code{font-size:.95em}`;

/** The SVG timeline: time runs left to right over the run's wall clock; one row per step. */
function timeline(r: RunReport): string {
  const t0 = Date.parse(r.startedAt);
  const t1 = Date.parse(r.until);
  const label = 190;
  const width = 1000;
  const plot = width - label - 10;
  const rowH = 22;
  const top = 24;
  const height = top + r.steps.length * rowH + 30;
  const waits = r.waits.map((w) => [Date.parse(w.from), Date.parse(w.until ?? r.until)] as [number, number]);
  const scale = timeScale(t0, t1, waits, label, plot);
  const x = (at: string) => scale.x(Date.parse(at));
  const bar = (from: string, to: string) => {
    const a = x(from);
    return { a, w: Math.max(2, x(to) - a) };
  };
  const out: string[] = [
    `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ` +
      `role="img" aria-label="timeline of run ${esc(r.runId)}">`,
    `<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
      `<rect width="3" height="6" fill="${COLOURS.undo}"/></pattern></defs>`,
  ];
  for (const w of r.waits) {
    const { a, w: wd } = bar(w.from, w.until ?? r.until);
    const fill = w.kind === "stopped" ? "#e0e0e0" : "#fff3c4";
    const who = w.endedBy ? `, ended by ${w.endedBy.action}${w.endedBy.by ? ` (${w.endedBy.by})` : ""}` : "";
    out.push(
      `<rect class="wait ${w.kind}" x="${a.toFixed(1)}" y="${top - 4}" width="${wd.toFixed(1)}" ` +
        `height="${r.steps.length * rowH + 8}" fill="${fill}"><title>${esc(
          `${w.kind === "stopped" ? "stopped" : `waiting for a person (${w.kind})`}${w.stepId ? ` at ${w.stepId}` : ""}: ` +
            `${dur(w.durationMs)}${who}`,
        )}</title></rect>`,
    );
  }
  r.steps.forEach((s, i) => {
    const y = top + i * rowH;
    out.push(`<text x="4" y="${y + 15}" font-size="12" font-family="monospace">${esc(s.id.slice(0, 26))}</text>`);
    out.push(`<line x1="${label}" y1="${y + rowH - 1}" x2="${width - 10}" y2="${y + rowH - 1}" stroke="#f0f0f0"/>`);
    for (const at of s.attempts) {
      const { a, w } = bar(at.startedAt, at.endedAt ?? r.until);
      out.push(
        `<rect class="attempt ${at.result}" x="${a.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" ` +
          `fill="${COLOURS[at.result] ?? "#555"}"><title>${esc(
            `${s.id} attempt ${at.attempt}: ${at.result}, ${dur(at.durationMs)} ${errorText(at)}`,
          )}</title></rect>`,
      );
    }
    for (const u of s.undos) {
      if (!u.startedAt) continue;
      const { a, w } = bar(u.startedAt, u.endedAt ?? r.until);
      out.push(
        `<rect class="undo ${u.result}" x="${a.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" ` +
          `fill="url(#hatch)" stroke="${COLOURS.undo}"><title>${esc(
            `${s.id} undo: ${u.result}, ${dur(u.durationMs)} ${errorText(u)}`,
          )}</title></rect>`,
      );
    }
  });
  const axisY = top + r.steps.length * rowH + 18;
  const tick = (px: number, text: string, anchor: string) =>
    out.push(
      `<text x="${px.toFixed(1)}" y="${axisY}" font-size="11" text-anchor="${anchor}" fill="#666">${esc(text)}</text>`,
    );
  if (scale.breaks.length === 0) {
    for (let k = 0; k <= 4; k++)
      tick(label + (plot * k) / 4, `+${dur(((t1 - t0) * k) / 4)}`, k === 0 ? "start" : k === 4 ? "end" : "middle");
  } else {
    tick(label, "+0ms", "start");
    tick(label + plot, `+${dur(t1 - t0)}`, "end");
    // A shortened wait: dashed edges, and how long it really was.
    for (const b of scale.breaks) {
      for (const edge of [b.x0, b.x1])
        out.push(
          `<line class="break" x1="${edge.toFixed(1)}" y1="${top - 6}" x2="${edge.toFixed(1)}" y2="${axisY - 10}" ` +
            `stroke="#999" stroke-dasharray="3,3"/>`,
        );
      tick((b.x0 + b.x1) / 2, `${dur(b.to - b.from)} (shortened)`, "middle");
    }
  }
  out.push("</svg>");
  return out.join("\n");
}

const legend = `<p class="legend">${[
  ["#2e7d32", "attempt succeeded"],
  ["#c62828", "attempt failed"],
  ["#ef6c00", "interrupted / cancelled"],
  [COLOURS.undo, "undo"],
  ["#fff3c4", "waiting for a person"],
  ["#e0e0e0", "stopped"],
]
  .map(([c, t]) => `<span><i class="sw" style="background:${c}"></i>${t}</span>`)
  .join("")}</p>`;

function table(head: string[], rows: string[][], numeric: number[] = []): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join("");
  const tr = rows
    .map(
      (row) => `<tr>${row.map((c, i) => `<td${numeric.includes(i) ? ' class="n"' : ""}>${esc(c)}</td>`).join("")}</tr>`,
    )
    .join("\n");
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

export function renderHtml(r: RunReport): string {
  const t = r.totals;
  const steps = r.steps.flatMap((s) =>
    s.attempts.length === 0
      ? [[s.id, "—", "—", "—", "—", s.skipped ? `skipped (${s.skipped.reason})` : s.status, ""]]
      : s.attempts.map((a) => [
          s.id,
          String(a.attempt),
          clock(a.startedAt, r),
          clock(a.endedAt, r),
          dur(a.durationMs),
          `${a.result}${a.retryInMs !== undefined ? `, retried after ${dur(a.retryInMs)}` : ""}` +
            `${s.approvedBy && a === s.attempts.at(-1) ? ` (approved by ${s.approvedBy})` : ""}`,
          errorText(a),
        ]),
  );
  const undos = r.steps.flatMap((s) =>
    s.undos.map((u) => [
      s.id,
      clock(u.startedAt, r),
      clock(u.endedAt, r),
      dur(u.durationMs),
      u.result === "skipped" ? `skipped (${u.reason ?? ""})` : u.result,
      errorText(u),
    ]),
  );
  const waits = r.waits.map((w) => [
    w.kind === "stopped" ? "stopped" : `${w.kind} (person)`,
    w.stepId ?? "",
    clock(w.from, r),
    clock(w.until, r),
    dur(w.durationMs),
    w.endedBy
      ? `${w.endedBy.action}${w.endedBy.by ? ` by ${w.endedBy.by}` : ""}${w.endedBy.note ? `: ${w.endedBy.note}` : ""}`
      : w.until
        ? ""
        : "still waiting",
  ]);
  const sections = [
    `<h1>Run report: <code>${esc(r.runId)}</code></h1>`,
    table(
      ["", ""],
      [
        ["playbook", `${r.playbook.name} (${r.playbook.file}, sha256 ${r.playbook.hash.slice(0, 12)})`],
        ["environment", r.environment],
        ["result", `${r.status}${r.error ? ` — [${r.error.code}] ${r.error.message}` : ""}`],
        ["started", `${r.startedAt} by ${r.startedBy}`],
        [r.finishedAt ? "finished" : "measured until", r.until],
      ],
    ),
    "<h2>Time</h2>",
    `<table class="totals"><tbody>${[
      ["wall clock", t.wallMs],
      ["machine (cutover working)", t.machineMs],
      ["— executing steps", t.executingMs],
      ["— undoing", t.undoingMs],
      ["— retry backoff", t.retryBackoffMs],
      ["human wait (gates, decisions)", t.humanWaitMs],
      ["stopped (interrupted, nothing running)", t.stoppedMs],
    ]
      .map(([k, v]) => `<tr><td>${esc(k)}</td><td class="n">${esc(dur(v as number))}</td></tr>`)
      .join("")}</tbody></table>`,
    "<h2>Timeline</h2>",
    timeline(r),
    legend,
    "<h2>Steps</h2>",
    table(["step", "attempt", "started", "ended", "duration", "result", "error"], steps, [1, 4]),
    undos.length
      ? "<h2>Undo</h2>" + table(["step", "started", "ended", "duration", "result", "error"], undos, [3])
      : "",
    waits.length
      ? "<h2>Waits</h2>" + table(["waited for", "step", "from", "until", "duration", "ended by"], waits, [4])
      : "",
    r.actions.length
      ? "<h2>Who did what</h2>" +
        table(
          ["at", "who", "did", "step", "note"],
          r.actions.map((a) => [clock(a.at, r), a.by, a.action, a.stepId ?? "", a.note ?? ""]),
        )
      : "",
    r.notifications.length
      ? "<h2>Notifications</h2>" +
        table(
          ["at", "target", "event", "result", "attempts"],
          r.notifications.map((n) => [
            clock(n.at, r),
            String(n.target),
            n.event,
            n.result === "sent" ? `sent (HTTP ${n.status})` : `failed: [${n.error?.code}] ${n.error?.message}`,
            String(n.attempts),
          ]),
        )
      : "",
  ];
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/>` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"/>` +
    `<title>cutover run ${esc(r.runId)}: ${esc(r.status)}</title><style>${CSS}</style></head>\n<body>\n` +
    sections.filter(Boolean).join("\n") +
    `\n<p style="color:#888">generated by cutover report</p>\n</body></html>\n`
  );
}

/** The page's stylesheet: readable at a glance, one colour per run/step status (the same as `cutover status`). */
export const PAGE_CSS = `
:root { --fg: #1d232b; --muted: #667085; --line: #e4e7ec; --bg: #f6f7f9; --card: #fff;
  --ok: #12805c; --ok-bg: #e3f5ec; --bad: #c0362c; --bad-bg: #fdecea; --wait: #a15c00; --wait-bg: #fff4de;
  --run: #1f5fbf; --run-bg: #e6effc; --abort: #7a3db8; --abort-bg: #f2e9fb; --idle: #667085; --idle-bg: #eef0f3; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 12px; padding: 10px 24px; background: #111827; color: #fff; }
header .brand { color: #fff; font-weight: 700; font-size: 18px; text-decoration: none; letter-spacing: .3px; }
header .sub { color: #9ca3af; }
#auth { margin-left: auto; display: flex; gap: 8px; align-items: center; color: #d1d5db; }
#auth input { width: 260px; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 20px; margin: 0 0 4px; display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
h2 { font-size: 15px; margin: 0 0 10px; }
a { color: var(--run); }
.muted { color: var(--muted); }
.mono, td.id, .runid { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 13px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px; margin: 14px 0; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
@media (max-width: 900px) { .grid { grid-template-columns: 1fr; } }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 7px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .4px; color: var(--muted); font-weight: 600; }
tr:last-child td { border-bottom: 0; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600;
  background: var(--idle-bg); color: var(--idle); white-space: nowrap; }
.s-succeeded, .k-ok { background: var(--ok-bg); color: var(--ok); }
.s-failed, .s-damaged, .k-failed { background: var(--bad-bg); color: var(--bad); }
.s-paused, .s-interrupted, .k-waiting { background: var(--wait-bg); color: var(--wait); }
.s-running, .k-info { background: var(--run-bg); color: var(--run); }
.s-aborting, .s-aborted, .k-decision, .k-undo { background: var(--abort-bg); color: var(--abort); }
.meta { display: grid; grid-template-columns: 130px 1fr; gap: 4px 12px; margin: 10px 0 0; }
.meta dt { color: var(--muted); } .meta dd { margin: 0; }
.banner { border-radius: 8px; padding: 12px 16px; margin: 14px 0; border: 1px solid transparent; }
.banner.waiting { background: var(--wait-bg); border-color: #f3d19c; color: #5c3700; }
.banner.error { background: var(--bad-bg); border-color: #f5b5ae; color: #7a1c14; }
.banner.info { background: var(--run-bg); border-color: #b8cff5; color: #123a75; }
.banner .hint { display: block; margin-top: 4px; opacity: .85; }
.actions textarea { width: 100%; min-height: 54px; font: inherit; padding: 8px; border: 1px solid var(--line);
  border-radius: 6px; resize: vertical; }
.actions .row { display: flex; gap: 8px; margin-top: 10px; flex-wrap: wrap; align-items: center; }
button { font: inherit; font-weight: 600; padding: 7px 16px; border-radius: 6px; border: 1px solid var(--line);
  background: #fff; cursor: pointer; }
button:disabled { opacity: .45; cursor: not-allowed; }
button.approve { background: var(--ok); color: #fff; border-color: var(--ok); }
button.retry { background: var(--run); color: #fff; border-color: var(--run); }
button.abort { background: var(--bad); color: #fff; border-color: var(--bad); }
input { font: inherit; padding: 6px 8px; border-radius: 6px; border: 1px solid #4b5563; background: #1f2937;
  color: #fff; }
header button { padding: 5px 12px; }
ul.timeline { list-style: none; margin: 0; padding: 0; max-height: 440px; overflow: auto; }
ul.timeline li { display: grid; grid-template-columns: 70px 14px 1fr; gap: 8px; padding: 4px 0;
  border-bottom: 1px dashed var(--line); }
ul.timeline .dot { width: 10px; height: 10px; border-radius: 50%; margin-top: 5px; background: var(--idle); }
ul.timeline .dot.k-ok { background: var(--ok); } ul.timeline .dot.k-failed { background: var(--bad); }
ul.timeline .dot.k-waiting { background: #e09b1a; } ul.timeline .dot.k-info { background: var(--run); }
ul.timeline .dot.k-decision, ul.timeline .dot.k-undo { background: var(--abort); }
h1 .runid { font-size: 18px; } .badge.big { font-size: 13px; padding: 2px 10px; }
#auth form { display: flex; gap: 8px; margin: 0; }
ul.timeline .who { color: var(--muted); font-size: 12px; }
.err { color: var(--bad); font-size: 13px; }
.effect { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 12.5px; }
.env h2 { display: flex; gap: 8px; align-items: baseline; }
`;

/**
 * The page itself: one HTML shell, a stylesheet and a script (no framework, no build step). The script builds
 * every element with DOM calls and puts all run data in as text nodes, never as HTML, so a step name or a
 * message holding markup shows as the characters it is (test/web/xss.test.ts); the server's
 * Content-Security-Policy allows only these same-origin files besides.
 */
export function pageHtml(): string {
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<title>cutover</title>",
    '<link rel="stylesheet" href="/app.css">',
    '<script src="/app.js" defer></script>',
    "</head><body>",
    '<header><a class="brand" href="/">cutover</a><span class="sub">runs on call</span><div id="auth"></div></header>',
    '<main id="main"><p class="muted">loading…</p></main>',
    "</body></html>",
  ].join("\n");
}

export { PAGE_CSS } from "./page-css.js";
export { APP_JS } from "./page-js.js";

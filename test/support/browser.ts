/**
 * Headless Chromium for the web page's end-to-end tests: Debian's /usr/bin/chromium driven by playwright-core,
 * which never downloads a browser of its own (tools/test-deps.sh installs chromium). Each launch gets a new,
 * empty profile directory and no network services of its own (no sync, updates or QUIC).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { chromiumBinary } from "./system.js";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile; `close()` ends it and removes the profile. */
export async function launchChromium(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  const executablePath = chromiumBinary(); // one clear line when chromium is missing
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "cutover-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/* global AbortController */
// The flags an app slot reads from the local supervisor (MaintenanceMode and friends).
// A long-poll loop: each poll carries the revision this process has applied, which is
// how the supervisor knows a flag change has reached every slot before `flag.set` returns.
// `onChange` (optional) is awaited before the next poll: a process that acts on a flag (a
// worker that stops taking commands) confirms the revision only once it has acted, and acts
// the moment the change arrives instead of on a timer.
// node:http rather than fetch: Node 20 compiles fetch's undici on its first call, which made
// every app start 15-25 ms later (and more on a busy machine), on a release's critical path.
import http from "node:http";
import { setTimeout } from "node:timers";

const POLL_WAIT_MS = 25_000;
const RETRY_DELAY_MS = 300;

/** GET `url` with a bearer token; resolves with the parsed JSON body of a 2xx answer. */
function getJson(url, token, signal) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { authorization: `Bearer ${token}` }, signal, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("error", reject);
      res.on("end", () => {
        if (res.statusCode < 200 || res.statusCode > 299) return reject(new Error(`flags: HTTP ${res.statusCode}`));
        try {
          resolve(JSON.parse(text));
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on("error", reject);
  });
}

export function watchFlags(env = process.env, { onChange } = {}) {
  const url = env.CUTOVER_FLAGS_URL;
  const token = env.CUTOVER_FLAGS_TOKEN ?? "";
  let state = parseInitial(env.CUTOVER_FLAGS_INITIAL);
  const controller = new AbortController();

  async function loop() {
    while (!controller.signal.aborted) {
      try {
        const query = `since=${state.rev}&waitMs=${POLL_WAIT_MS}&slot=${env.CUTOVER_SLOT ?? ""}&pid=${process.pid}`;
        const body = await getJson(`${url}?${query}`, token, controller.signal);
        if (typeof body.rev === "number" && body.flags && typeof body.flags === "object") {
          const before = state;
          state = { rev: body.rev, flags: body.flags };
          if (body.rev !== before.rev && onChange) {
            try {
              await onChange(state);
            } catch (e) {
              // Not acted on: do not confirm it. The next poll (from the old revision) brings it again.
              console.error(`flags: revision ${body.rev} not applied: ${e?.message ?? e}`);
              state = { ...state, rev: before.rev };
              throw e;
            }
          }
        }
      } catch {
        // The supervisor may be restarting: keep the last known flags and try again.
        if (controller.signal.aborted) return;
        await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
      }
    }
  }
  if (url) void loop();

  return {
    get: (name) => state.flags[name],
    get rev() {
      return state.rev;
    },
    stop: () => controller.abort(),
  };
}

function parseInitial(text) {
  try {
    const v = JSON.parse(text ?? "");
    if (v && typeof v.rev === "number" && v.flags && typeof v.flags === "object") return v;
  } catch {
    /* no initial flags: start empty */
  }
  return { rev: 0, flags: {} };
}

/** MaintenanceMode may be stored as a boolean or as a string ("true"). */
export function isOn(value) {
  return value === true || value === "true" || value === 1 || value === "1";
}

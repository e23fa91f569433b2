/**
 * The fake ARM server in a process of its own, for benchmarks: real ARM is
 * remote, so its work must not compete for the CPU with the orchestrator
 * being measured. Driven over the IPC channel by fanout.ts:
 *   → { type: "reset", names }          ← { type: "reset" }
 *   → { type: "check", names }          ← { type: "check", problems: string[] }
 *   → { type: "stop" }
 * and it first sends { type: "ready", url, certFile }.
 */
import { startArmFake } from "../../test/azure/fakes/arm-server.js";
import { testCert } from "../../test/azure/fakes/tls.js";

type Message = { type: "reset"; names: string[] } | { type: "check"; names: string[] } | { type: "stop" };

const latencyMs = Number(process.env.LATENCY_MS ?? 200);
const arm = await startArmFake({ latencyMs, pollsPerSwap: 3, sites: false });
const send = (m: unknown) => process.send?.(m);

process.on("message", (m: Message) => {
  if (m.type === "reset") {
    arm.apps.clear();
    arm.requests.length = 0;
    for (const n of m.names) {
      arm.addApp(n, {
        sticky: ["DEPLOY_SLOT"],
        settings: {
          production: { APP_VERSION: "v1", DEPLOY_SLOT: "production" },
          staging: { APP_VERSION: "v1", DEPLOY_SLOT: "staging" },
        },
      });
    }
    send({ type: "reset" });
  } else if (m.type === "check") {
    const problems = m.names.filter((n) => {
      const app = arm.apps.get(n);
      return app?.swaps !== 1 || app.slots.get("production")?.appSettings.APP_VERSION !== "v2";
    });
    send({ type: "check", problems, requests: arm.requests.length });
  } else if (m.type === "stop") {
    void arm.close().then(() => process.exit(0));
  }
});
process.on("disconnect", () => void arm.close().then(() => process.exit(0)));

send({ type: "ready", url: arm.url, cert: testCert().cert });

/**
 * Azurite (the real Table/Queue emulator from npm) on free loopback ports,
 * in memory, killed by stop(). One per test file (beforeAll/afterAll).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, connect } from "node:net";
import { createRequire } from "node:module";
import path from "node:path";

const ACCOUNT = "devstoreaccount1";
const KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface Azurite {
  tablePort: number;
  queuePort: number;
  /** A connection string for both services (http, so clients need allowInsecureConnection). */
  connectionString: string;
  tableEndpoint: string;
  queueEndpoint: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

function binDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve("azurite/package.json")), "..", ".bin");
}

async function waitForPort(port: number, child: ChildProcess, deadlineMs = 15_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`azurite exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`azurite did not listen on ${port}`);
}

function launch(bin: string, args: string[]): ChildProcess {
  const child = spawn(
    path.join(binDir(), bin),
    [...args, "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry"],
    {
      stdio: "ignore",
      env: { ...process.env, AZURITE_DB: "" },
    },
  );
  return child;
}

export async function startAzurite(
  services: { table?: boolean; queue?: boolean } = { table: true, queue: true },
): Promise<Azurite> {
  const children: ChildProcess[] = [];
  const tablePort = services.table ? await freePort() : 0;
  const queuePort = services.queue ? await freePort() : 0;
  try {
    if (services.table) {
      const c = launch("azurite-table", ["--tableHost", "127.0.0.1", "--tablePort", String(tablePort)]);
      children.push(c);
      await waitForPort(tablePort, c);
    }
    if (services.queue) {
      const c = launch("azurite-queue", ["--queueHost", "127.0.0.1", "--queuePort", String(queuePort)]);
      children.push(c);
      await waitForPort(queuePort, c);
    }
  } catch (e) {
    for (const c of children) c.kill("SIGKILL");
    throw e;
  }
  const tableEndpoint = `http://127.0.0.1:${tablePort}/${ACCOUNT}`;
  const queueEndpoint = `http://127.0.0.1:${queuePort}/${ACCOUNT}`;
  return {
    tablePort,
    queuePort,
    tableEndpoint,
    queueEndpoint,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};` +
      (services.table ? `TableEndpoint=${tableEndpoint};` : "") +
      (services.queue ? `QueueEndpoint=${queueEndpoint};` : ""),
    async stop() {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once("exit", () => resolve());
              c.kill("SIGTERM");
              setTimeout(() => c.kill("SIGKILL"), 2000).unref();
            }),
        ),
      );
    },
  };
}

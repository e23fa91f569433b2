/**
 * A private nginx for tests and benchmarks: its own prefix, config, pid and
 * logs in a temp dir, listening on a loopback port, with an upstream block
 * that includes the file `nginx.swap` rewrites.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { isPidAlive } from "../../src/providers/local/files.js";
import { nginxBinary } from "../../test/support/system.js";

export interface NginxFixture {
  dir: string;
  port: number;
  publicUrl: string;
  conf: string;
  upstreamFile: string;
  pidFile: string;
  /** argv prefix that addresses this nginx: nginx -p <dir> -c <conf>. */
  argv: string[];
  stop(): void;
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Start nginx (daemonised, pid file in `dir`) routing to `initialServers`. */
export async function startNginx(
  dir: string,
  initialServers: string[],
  initialSlot: "blue" | "green",
): Promise<NginxFixture> {
  const port = await freeLoopbackPort();
  const conf = path.join(dir, "nginx.conf");
  const upstreamFile = path.join(dir, "upstream.conf");
  const pidFile = path.join(dir, "nginx.pid");
  for (const sub of ["logs", "tmp"]) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  fs.writeFileSync(
    upstreamFile,
    `# cutover: live=${initialSlot}\n${initialServers.map((s) => `server ${s};`).join("\n")}\n`,
  );
  const user = process.getuid?.() === 0 ? "user root;\n" : "";
  fs.writeFileSync(
    conf,
    `${user}worker_processes 1;
error_log ${dir}/logs/error.log warn;
pid ${pidFile};
events { worker_connections 2048; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  upstream app {
    include ${upstreamFile};
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  const argv = [nginxBinary(), "-p", dir, "-c", conf];
  execFileSync(argv[0]!, [...argv.slice(1), "-g", "daemon on;"], { stdio: "pipe" });
  const publicUrl = `http://127.0.0.1:${port}`;
  return {
    dir,
    port,
    publicUrl,
    conf,
    upstreamFile,
    pidFile,
    argv,
    stop() {
      try {
        const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
        process.kill(pid, "SIGTERM");
        // The daemonised master's parent is init, which may not reap it: a zombie counts as gone.
        for (let i = 0; i < 100; i++) {
          if (!isPidAlive(pid)) return;
          execFileSync("sleep", ["0.05"]);
        }
        process.kill(pid, "SIGKILL");
      } catch {
        // Not running.
      }
    },
  };
}

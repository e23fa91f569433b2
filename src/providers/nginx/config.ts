/** The `nginx` provider's configuration (an `environment:` entry with `provider: nginx`). */
import { z } from "zod";

const servers = z
  .array(z.string().regex(/^[^\s;{}#]+$/, "a server address such as 127.0.0.1:8081 or unix:/run/app.sock"))
  .min(1)
  .describe("The upstream servers of this slot, as nginx `server` addresses (host:port or unix:path).");

export const NginxProviderConfig = z
  .object({
    provider: z.literal("nginx").optional().describe("The provider kind, `nginx`."),
    upstreamFile: z
      .string()
      .min(1)
      .describe(
        "The include file cutover owns and rewrites: the `server` lines of your upstream block (`upstream app { " +
          "include <this file>; keepalive 32; }`). A relative path resolves against the playbook's directory.",
      ),
    slots: z.object({ blue: servers, green: servers }).strict().describe("The servers of the blue and the green slot."),
    serverParams: z
      .string()
      .regex(/^[^;{}#]*$/)
      .default("")
      .describe("Parameters appended to each `server` line, e.g. `max_fails=0`."),
    publicUrl: z.string().url().describe("The URL nginx serves the app on; the swap is verified through it."),
    test: z
      .array(z.string())
      .min(1)
      .default(["nginx", "-t"])
      .describe("argv that checks the configuration before a reload (e.g. add `-c /etc/nginx/nginx.conf`)."),
    reload: z
      .array(z.string())
      .min(1)
      .default(["nginx", "-s", "reload"])
      .describe(
        "argv of the graceful reload (nginx starts new workers, old ones finish their requests). Ignored when " +
          "`pidFile` is set.",
      ),
    pidFile: z
      .string()
      .optional()
      .describe("The nginx master's pid file: reload by sending it SIGHUP instead of running `reload`."),
  })
  .strict()
  .describe(
    "An nginx you run: cutover switches the live slot by rewriting an upstream include file and reloading nginx " +
      "gracefully.",
  );

export type NginxProviderConfig = z.infer<typeof NginxProviderConfig>;

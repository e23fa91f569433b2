/** The postgres and sqlite provider definitions: config, secrets never shown, paths. */
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ProviderContext } from "../../src/core/provider.js";
import { isCutoverError } from "../../src/core/errors.js";
import { postgresConfig, postgresProvider, sqliteConfig, sqliteProvider } from "../../src/providers/sql/provider.js";

const ctx = (secrets: Record<string, string> = {}): ProviderContext => ({
  stateDir: "/state",
  baseDir: "/playbooks",
  name: "db",
  secret: (n) => secrets[n],
});

describe("sql providers", () => {
  it("postgres: reads the URL from a secret and never shows the password", async () => {
    const config = postgresConfig.parse({ urlEnv: "DATABASE_URL" });
    const client = await postgresProvider.create(
      config,
      ctx({ DATABASE_URL: "postgres://app:s3cr3t-pw@db.internal:6543/shop?sslmode=require" }),
    );
    expect(client.target).toBe("postgres://app@db.internal:6543/shop");
    expect(
      JSON.stringify({ target: client.target, settings: client.settings, scope: client.journalScope }),
    ).not.toContain("s3cr3t");
    expect(client.settings).toEqual({ lockTimeoutMs: 2000, statementTimeoutMs: 1_800_000 });
  });

  it("postgres: exactly one of url / urlEnv, and a missing secret is a config error naming the variable", async () => {
    expect(postgresConfig.safeParse({}).success).toBe(false);
    expect(postgresConfig.safeParse({ url: "postgres://x", urlEnv: "X" }).success).toBe(false);
    expect(postgresConfig.safeParse({ url: "postgres://x", schema: "bad-name" }).success).toBe(false);
    let err: unknown;
    try {
      await postgresProvider.create(postgresConfig.parse({ urlEnv: "NOPE" }), ctx());
    } catch (e) {
      err = e;
    }
    expect(isCutoverError(err, "CONFIG_INVALID")).toBe(true);
    expect((err as { hint?: string }).hint).toContain("NOPE");
  });

  it("sqlite: paths relative to the playbook or to the state directory", async () => {
    const a = await sqliteProvider.create(sqliteConfig.parse({ path: "app.db", lockTimeout: "5s" }), ctx());
    expect(a.target).toBe(`sqlite:${path.resolve("/playbooks/app.db")}`);
    expect(a.settings.lockTimeoutMs).toBe(5000);
    const b = await sqliteProvider.create(
      sqliteConfig.parse({ path: "local/demo.sqlite", relativeTo: "stateDir" }),
      ctx(),
    );
    expect(b.target).toBe(`sqlite:${path.resolve("/state/local/demo.sqlite")}`);
  });
});

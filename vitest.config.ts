import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The machine's NODE_EXTRA_CA_CERTS kept from the tests' child processes (see the file for why).
    setupFiles: ["test/support/host-env.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests spawn real processes (the built CLI, servers, nginx) on 2 cores; keep parallelism modest.
    maxWorkers: 2,
    fileParallelism: true,
  },
});

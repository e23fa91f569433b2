import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests spawn real processes (the built CLI, servers, nginx) on 2 cores; keep parallelism modest.
    maxWorkers: 2,
    fileParallelism: true,
  },
});

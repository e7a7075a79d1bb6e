import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Privileged tests share kernel state (bpffs, ids, fd counts): run files one after another.
    fileParallelism: false,
    globalSetup: ["test/setup/global.ts"],
    setupFiles: ["test/setup/fd-leak.ts"],
    testTimeout: 60_000,
  },
});

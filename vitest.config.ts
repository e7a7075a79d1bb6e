import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Privileged tests share kernel state (bpffs, ids, fd counts): run files one after another.
    fileParallelism: false,
    globalSetup: ["test/setup/global.ts"],
    setupFiles: ["test/setup/fd-leak.ts"],
    // Budgets scale with the machine: a VM guest (TSBPF_VM) runs under TCG, ~10x slower, and
    // slower again when the host is loaded. A hook compiles C or boots a child runtime too.
    testTimeout: process.env.TSBPF_VM ? 300_000 : 60_000,
    hookTimeout: process.env.TSBPF_VM ? 300_000 : 60_000,
  },
});

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Privileged tests share kernel state (bpffs, ids, fd counts): run files one after another.
    fileParallelism: false,
    // Under emulation (the VM matrix) a fresh module graph per file cost more than the tests: ~5 s
    // of transform and import per file on 5.10, 390 of a cell's 610 s. There the files share one
    // (tests restore what they change; per-file hooks live in setupFiles); the host keeps isolation.
    isolate: !process.env.TSBPF_VM,
    globalSetup: ["test/setup/global.ts"],
    setupFiles: ["test/setup/fd-leak.ts"],
    // Budgets scale with the machine: a VM guest (TSBPF_VM) runs under TCG, ~10x slower, and
    // slower again when the host is loaded. A hook compiles C or boots a child runtime too.
    testTimeout: process.env.TSBPF_VM ? 300_000 : 60_000,
    hookTimeout: process.env.TSBPF_VM ? 300_000 : 60_000,
    // Transformed modules kept on disk, keyed by each file's content and this config: the host's
    // run fills it and the VM matrix, which mounts the project, reads it - under emulation the
    // transform and setup of the modules cost half of a cell's time.
    experimental: { fsModuleCache: true, fsModuleCachePath: ".cache/vitest-modules" },
  },
});

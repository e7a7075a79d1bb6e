#!/usr/bin/env node
// npm run build: dist/ as npm users get it. The JavaScript is bundled, one file per entry point
// plus shared chunks, because Node pays per module file at import time: the ~110 files tsc emits
// cost it 60-90 ms, the same code as one file ~15 ms (bench/import-run.mjs). The declarations still come
// from tsc, one .d.ts per source file, so the types are exactly what `tsc` checks.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { entries } from "./entries.mjs";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const dist = join(root, "dist");

// Stale files of an older layout (tsc's one .js per source) would ship otherwise.
rmSync(dist, { recursive: true, force: true });

const tsc = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.build.json")], {
  cwd: root,
  stdio: "inherit",
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

// esbuild has printed what went wrong by the time the promise rejects.
await build({
  absWorkingDir: root,
  entryPoints: entries.map((e) => ({ in: e.source, out: e.name })),
  outdir: dist,
  bundle: true,
  // Entry points share the code they both import through chunks, rather than each carrying a copy
  // (two copies of a module would mean two backends, two error classes, ...).
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  format: "esm",
  // The code is runtime-neutral (Deno and Bun import the npm package too); koffi is required at
  // run time by runtimes/node.ts, never bundled.
  platform: "neutral",
  target: "es2022",
  // The published package has no src/: the maps carry the sources.
  sourcemap: "linked",
  sourcesContent: true,
  logLevel: "warning",
}).catch(() => process.exit(1));

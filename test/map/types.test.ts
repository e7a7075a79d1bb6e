// The static types BpfMap infers from a spec (values of per-CPU maps are arrays, maps of maps
// take fds and give ids, structs decode to objects): tsc must accept test/map/fixtures/types.ts,
// whose assertions and @ts-expect-error lines fail to compile when an inferred type changes.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");

it("the inferred map types are the documented ones (tsc on fixtures/types.ts)", (ctx) => {
  if (!existsSync(tsc)) return ctx.skip("typescript is not installed");
  // tsc is a Node program: run it with node whatever runtime runs the tests.
  const r = spawnSync("node", [tsc, "-p", join(root, "test", "map", "fixtures", "tsconfig.json")], { cwd: root, encoding: "utf8", timeout: 120_000 });
  if (r.error) return ctx.skip(`node is not available to run tsc: ${r.error.message}`);
  expect(r.stdout + r.stderr).toBe("");
  expect(r.status).toBe(0);
}, 120_000);

// Generated files come from committed generators: regenerating them changes nothing. (The UAPI
// generator's --check runs in uapi.test.ts, beside its checks against the C compiler.) Checked
// once, by the Node run on the host.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runtime } from "../helpers/env.ts";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");
const skip = process.env.TSBPF_VM ? "checked by the host run, not in VMs" : runtime !== "node" ? "checked once, by the Node run"
  : !existsSync("/usr/lib/llvm-19/bin/llvm-mc") ? "llvm-19 is not installed (npm run setup installs it)" : null;
if (skip) console.warn(`skip: generators: ${skip}`);

describe.skipIf(skip !== null)(`generators${skip ? ` [skipped: ${skip}]` : ""}`, () => {
  it("the asm corpus is what llvm-mc and llvm-objdump 19 make of its sources (gen-asm-corpus.sh --check)", () => {
    const r = spawnSync("bash", [join(root, "scripts", "gen-asm-corpus.sh"), "--check"], { cwd: root, encoding: "utf8", timeout: 240_000 });
    expect(r.status, `${r.stdout}${r.stderr}`.slice(-2000)).toBe(0);
    expect(r.stdout).toContain("matches llvm-mc and llvm-objdump 19");
  }, 240_000);
});

// The SEC() table (scripts/gen-sec.mjs) needs only Node, not llvm: its own skip, so it runs wherever the host's Node run goes.
const secSkip = process.env.TSBPF_VM ? "checked by the host run, not in VMs" : runtime !== "node" ? "checked once, by the Node run" : null;
describe.skipIf(secSkip !== null)(`SEC() table generator${secSkip ? ` [skipped: ${secSkip}]` : ""}`, () => {
  it("src/uapi/sec.gen.ts is what gen-sec.mjs makes of scripts/sec-defs.tsv (gen-sec.mjs --check)", () => {
    const r = spawnSync("node", [join(root, "scripts", "gen-sec.mjs"), "--check"], { cwd: root, encoding: "utf8", timeout: 60_000 });
    expect(r.status, `${r.stdout}${r.stderr}`.slice(-2000)).toBe(0);
    expect(r.stdout).toContain("matches scripts/sec-defs.tsv (116 entries)");
  });
});

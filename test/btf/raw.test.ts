// format("raw") against Debian's bpftool 7.1, line for line: the clang fixture, and split BTF
// written here on top of vmlinux and the fixture. vmlinux itself and every module BTF are compared
// in kernel.test.ts, through Btf.kernel(), on every kernel of the VM matrix.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Btf } from "../../mod.ts";
import { assemble, fixture, fixtureDir, Writer } from "./blob.ts";
import { bpftoolMissing, itIf } from "../helpers/tools.ts";

const noBpftool = bpftoolMissing();
const noSysfs = existsSync("/sys/kernel/btf/vmlinux") ? undefined : "needs /sys/kernel/btf/vmlinux";


// bpftool 7.1 takes a split BTF's base as -B, not as a "base" keyword.
const bpftool = (file: string, base?: string) => execFileSync("bpftool", [...(base ? ["-B", base] : []), "btf", "dump", "file", file], { encoding: "utf8", maxBuffer: 1 << 28 });
const tmp = mkdtempSync(join(tmpdir(), "tsbpf-btf-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Compares line by line so that a mismatch names its line, not a 20 MB string diff.
function sameLines(mine: string, theirs: string): number {
  const a = mine.split("\n"), b = theirs.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) expect(`line ${i + 1}: ${a[i]}`).toBe(`line ${i + 1}: ${b[i]}`);
  }
  return a.length - 1;
}

// A split BTF exercising base ids, base strings and own strings: struct, ptr, datasec over a base var.
function splitOn(base: Btf): Uint8Array {
  const w = new Writer(base.strings.end);
  const anyVar = [...Array(base.count).keys()].find((id) => base.kindNumberOf(id) === 14) ?? 0;
  const ints = base.findAll("int");
  const int = ints.length ? ints[0].id : 0;
  w.type(w.str("split_s"), 4, 2, true, 16, w.str("x"), int, 3 << 24 | 5, base.nameOffOf(int), base.count + 1, 64);
  w.type(0, 2, 0, false, base.count);
  w.type(w.str("split_v"), 14, 0, false, base.count, 1);
  w.type(w.str(".split"), 15, anyVar ? 2 : 1, false, 32, base.count + 2, 0, 16, ...(anyVar ? [anyVar, 16, 4] : []));
  return assemble(w.sections());
}

describe("format('raw') equals bpftool btf dump", () => {
  itIf(noBpftool, "the clang fixture (and its recorded oracle)", () => {
    const mine = Btf.parse(fixture("kinds.el.btf")).format("raw");
    expect(sameLines(mine, bpftool(join(fixtureDir, "kinds.el.btf")))).toBeGreaterThan(90);
    expect(mine).toBe(readFileSync(join(fixtureDir, "kinds.raw.txt"), "utf8"));
    expect(Btf.parse(fixture("kinds.eb.btf")).format("raw")).toBe(bpftool(join(fixtureDir, "kinds.eb.btf")));
  });

  itIf(noBpftool, "odd encodings: unnamed int encodings, unknown linkages, negative unsigned enums, u32 sizes", () => {
    const w = new Writer();
    w.type(w.str("odd_int"), 1, 0, false, 16, (3 << 24) | (5 << 16) | 100); // 1: SIGNED|CHAR is not a named encoding
    w.type(0, 13, 1, false, 0, w.str("p"), 1); // 2: proto
    w.type(w.str("f"), 12, 7, false, 2); // 3: func, linkage 7
    w.type(w.str("v"), 14, 0, false, 1, 9); // 4: var, linkage 9
    w.type(w.str("e"), 6, 2, false, 4, w.str("NEG"), 0x80000000, w.str("MAX"), 0xffffffff); // 5: unsigned enum, high bit set
    w.type(w.str("se"), 6, 1, true, 4, w.str("MIN"), 0x80000000); // 6: signed enum
    w.type(w.str("e64"), 19, 1, true, 8, w.str("M64"), 0, 0x80000000); // 7: signed enum64, INT64_MIN
    w.type(w.str("big"), 4, 1, true, 0xffffffff, w.str("bf"), 1, (255 << 24) | 0xffffff); // 8: widest bitfield
    w.type(w.str("fw"), 7, 0, true, 0); // 9: union fwd
    w.type(w.str("tt"), 18, 0, true, 1); // 10: attribute-style type tag
    w.type(w.str("dt"), 17, 0, true, 3, 0); // 11: attribute-style decl tag on a param
    w.type(w.str("arr"), 3, 0, false, 0, 1, 1, 0xffffffff); // 12: array of 2^32-1
    const empty = w.str("odd_int") + "odd_int".length; // a nonzero offset of "": bpftool prints '' there, not (anon)
    w.type(w.str("anon_m"), 4, 2, false, 8, 0, 1, 0, empty, 1, 32); // 13
    w.type(empty, 2, 0, false, 1); // 14
    w.type(w.str("p2"), 13, 2, false, 0, 0, 1, empty, 1); // 15
    const f = join(tmp, "odd.btf");
    writeFileSync(f, assemble(w.sections()));
    expect(sameLines(Btf.parse(readFileSync(f)).format("raw"), bpftool(f))).toBe(25);
  });

  itIf(noBpftool, "split BTF on the fixture", () => {
    const base = Btf.parse(fixture("kinds.el.btf"));
    const f = join(tmp, "split-fixture.btf");
    writeFileSync(f, splitOn(base));
    const mine = Btf.parse(readFileSync(f), { base }).format("raw");
    expect(sameLines(mine, bpftool(f, join(fixtureDir, "kinds.el.btf")))).toBe(8);
  });

  itIf(noBpftool ?? noSysfs, "split BTF on vmlinux", () => {
    const base = Btf.parse(readFileSync("/sys/kernel/btf/vmlinux"));
    const f = join(tmp, "split-vmlinux.btf");
    writeFileSync(f, splitOn(base));
    expect(sameLines(Btf.parse(readFileSync(f), { base }).format("raw"), bpftool(f, "/sys/kernel/btf/vmlinux"))).toBe(8);
  });
});

// Parser fuzzing with a seeded PRNG, so every run sees the same inputs: random bytes behind a
// valid magic, and random mutations of the clang fixture. Each input is parsed, printed, looked
// up, resolved and sized; the only failure allowed is a BtfError naming an offset or type id.
// Where bpftool is present, a sample of mutants it also accepts must print as it prints them.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Btf, BtfError } from "../../mod.ts";
import { assemble, fixture, Writer } from "./blob.ts";
import { xorshift } from "../helpers/random.ts";


const base = fixture("kinds.el.btf");

// Everything a caller might do with a parsed blob; returns the raw text.
function exercise(bytes: Uint8Array, on?: Btf): string {
  const btf = Btf.parse(bytes, { base: on });
  const raw = btf.format("raw");
  for (const t of btf.types()) {
    // A name that is not valid UTF-8 decodes with U+FFFD and cannot be asked for by a string.
    if (t.name && !t.name.includes("\ufffd")) expect(btf.findAll(t.name).some((x) => x.id === t.id), `${t.id} ${JSON.stringify(t.name)}`).toBe(true);
    btf.resolve(t);
    try {
      btf.sizeof(t);
    } catch (e) {
      if (!(e instanceof BtfError)) throw e;
    }
  }
  return raw;
}

// Runs `exercise`; any throw must be a BtfError that says where.
function check(bytes: Uint8Array, on?: Btf): string | undefined {
  try {
    return exercise(bytes, on);
  } catch (e) {
    if (!(e instanceof BtfError)) throw new Error(`non-BtfError on input ${Array.from(bytes.subarray(0, 64)).join(",")}: ${e}`);
    expect(e.offset !== undefined || e.typeId !== undefined, e.message).toBe(true);
    expect(e.message).toMatch(/\(at (type id \d+|offset \d+)/);
    return undefined;
  }
}

function mutate(rnd: () => number, from: Uint8Array = base): Uint8Array {
  const b = from.slice();
  const n = 1 + (rnd() % 4);
  for (let i = 0; i < n; i++) {
    const at = rnd() % b.length;
    switch (rnd() % 4) {
      case 0: b[at] ^= 1 << (rnd() % 8); break;
      case 1: b[at] = rnd() & 0xff; break;
      case 2: b[at] = [0, 0xff, 0x7f, 0x80][rnd() % 4]; break;
      default: return b.subarray(0, at); // truncation
    }
  }
  return b;
}

describe("BTF parser fuzz", () => {
  it("random bytes behind a valid magic give only BtfErrors", () => {
    const rnd = xorshift(12);
    const t0 = Date.now();
    for (let i = 0; i < 3000; i++) {
      const b = new Uint8Array(rnd() % 200);
      for (let j = 0; j < b.length; j++) b[j] = rnd() & 0xff;
      if (b.length >= 4 && rnd() % 4) b.set([0x9f, 0xeb, 1, 0]);
      if (b.length >= 8 && rnd() % 2) b.set([24, 0, 0, 0], 4);
      check(b);
    }
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it("mutations of a valid blob give a BtfError or a result, never another exception", () => {
    const rnd = xorshift(34);
    let ok = 0, bad = 0;
    const t0 = Date.now();
    for (let i = 0; i < 4000; i++) (check(mutate(rnd)) === undefined ? bad++ : ok++);
    console.log(`fuzz: ${ok} mutants parsed, ${bad} rejected with a BtfError`);
    expect(ok).toBeGreaterThan(100);
    expect(bad).toBeGreaterThan(100);
    expect(Date.now() - t0).toBeLessThan(25_000);
  });

  it("mutations of a split BTF on the fixture give a BtfError or a result", () => {
    const on = Btf.parse(base);
    const w = new Writer(on.strings.end);
    w.type(w.str("s"), 4, 2, true, 16, w.str("x"), 1, 3 << 24 | 5, on.nameOffOf(7), on.count + 1, 64);
    w.type(0, 2, 0, false, on.count).type(w.str("v"), 14, 0, false, on.count, 1);
    w.type(w.str(".sec"), 15, 1, false, 8, on.count + 2, 0, 8);
    const split = assemble(w.sections());
    expect(check(split, on)).toContain(`[${on.count}] STRUCT 's'`);
    const rnd = xorshift(78);
    let ok = 0;
    for (let i = 0; i < 2000; i++) if (check(mutate(rnd, split), on) !== undefined) ok++;
    expect(ok).toBeGreaterThan(50);
  });

  let haveBpftool = true;
  try {
    execFileSync("bpftool", ["version"], { stdio: "ignore" });
  } catch {
    haveBpftool = false;
    console.warn("skip: mutants against bpftool: needs bpftool");
  }
  (haveBpftool ? it : it.skip)(`mutants both accept print as bpftool prints them${haveBpftool ? "" : " (skipped: needs bpftool)"}`, () => {
    const rnd = xorshift(56);
    const dir = mkdtempSync(join(tmpdir(), "tsbpf-btf-fuzz-"));
    let compared = 0, stricter = 0;
    try {
      for (let i = 0; i < 120; i++) {
        const b = mutate(rnd);
        const mine = check(b);
        const f = join(dir, "m.btf");
        writeFileSync(f, b);
        let theirs: string;
        try {
          theirs = execFileSync("bpftool", ["btf", "dump", "file", f], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
        } catch {
          continue;
        }
        // bpftool 7.1 (libbpf 1.1) does not check references or names; this parser does.
        if (mine === undefined) {
          stricter++;
          continue;
        }
        compared++;
        expect(mine).toBe(theirs);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    console.log(`fuzz: ${compared} mutants compared with bpftool, ${stricter} it accepts that this parser rejects`);
    expect(compared).toBeGreaterThan(10);
  });
});

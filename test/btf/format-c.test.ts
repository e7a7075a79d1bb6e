// format("c") against Debian's bpftool 7.1 (libbpf 1.1), line for line, for vmlinux, the clang
// fixtures and hand-made corner cases. Two allowed differences: an enum whose BTF size is not
// 4 bytes closes with the mode attribute that gives it that size (libbpf 1.2+ does so for 1 and 8
// bytes); a union C would size otherwise (libbpf, the newest too, never sizes unions) closes with
// `__attribute__((packed))` (Linux 6.12's ec_response_get_next_data_v3), ends with an unnamed
// bitfield as wide as it (`long: 64;`: an __aligned(8) union, a transparent union whose members
// BTF lost), or past 8 bytes closes with the `aligned(N)` that sizes it. Every differing line must
// be one of these, and every such place must differ. Then clang-19 compiles the header with
// _Static_asserts of each struct's size and member offsets taken from the BTF: ours holds,
// bpftool's fails where an odd-sized enum sits in a struct or a union needs sizing.
//
// Alignment BTF does not record (a struct or member __aligned(64)) needs no attribute: the header
// states every offset and size with padding members, as libbpf does (the newest libbpf prints no
// aligned attribute either), but for unions, where members cannot pad. What broke the header of Linux 7.2 (6.19+) is the kernel's
// -fms-extensions: a tagged struct as an unnamed member (`struct ns_tree;` in ns_common), which
// BTF keeps and bpftool prints as such. C without that extension drops the member, so the header
// is compiled with -fms-extensions, as bpftool's own build compiles it, and once without to see
// that exactly the structs holding such a member break there.
//
// TSBPF_FORMAT_C_BTF=FILE runs the whole-header checks on another kernel's BTF too, e.g. Linux
// 7.2's out of the VM matrix's kernel cache (keep FILE outside the repository):
//   sh test/fixtures/btf/format-c.vmlinuz-btf.sh .cache/vm/kernels/sid/vmlinuz /tmp/v72.btf
//   TSBPF_FORMAT_C_BTF=/tmp/v72.btf node_modules/.bin/vitest run test/btf/format-c.test.ts
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Btf, BtfError, BtfStrings, type AnyBtfType, type BtfCompositeType, type BtfEnum64Type, type BtfEnumType } from "../../mod.ts";
import { itPriv, runtime } from "../helpers/env.ts";
import { toolMissing } from "../helpers/tools.ts";
import { assemble, fixture, fixtureDir, Writer } from "./blob.ts";

const noBpftool = toolMissing("bpftool", ["version"]);
// Compiling C checks the header, which no runtime changes: the Node run does it, once.
const noClang = runtime !== "node" ? `clang checks run once, under Node (this is ${runtime})` : toolMissing("clang-19", ["--version"]);
const noSysfs = existsSync("/sys/kernel/btf/vmlinux") ? undefined : "needs /sys/kernel/btf/vmlinux";
const VMLINUX = "/sys/kernel/btf/vmlinux";
// Another kernel's BTF to check whole (see the top of this file).
const EXTRA = process.env.TSBPF_FORMAT_C_BTF;
const noExtra = !EXTRA ? "TSBPF_FORMAT_C_BTF names no BTF file (see the top of test/btf/format-c.test.ts)"
  : existsSync(EXTRA) ? undefined : `TSBPF_FORMAT_C_BTF=${EXTRA}: no such file`;

function needing(why: string | undefined, name: string, fn: () => void, timeout?: number): void {
  if (why) {
    console.warn(`skip: ${name}: ${why}`);
    it.skip(`${name} (skipped: ${why})`, fn);
  } else it(name, fn, timeout);
}

const tmp = mkdtempSync(join(tmpdir(), "tsbpf-btf-c-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** bpftool's C header for a BTF file (a split one over `base`), or its failure. */
function bpftoolC(file: string, base?: string): { out: string; status: number | null; err: string } {
  const r = spawnSync("bpftool", [...(base ? ["-B", base] : []), "btf", "dump", "file", file, "format", "c"], { encoding: "utf8", maxBuffer: 1 << 28 });
  return { out: r.stdout, status: r.status, err: r.stderr };
}

let fileNo = 0;
function writeBlob(bytes: Uint8Array): string {
  const f = join(tmp, `blob-${fileNo++}.btf`);
  writeFileSync(f, bytes);
  return f;
}

// ---- The one allowed difference, stated independently of src/btf/format-c-enum.ts ----

const INT_MIN = -(2n ** 31n), INT_MAX = 2n ** 31n - 1n, UINT_MAX = 2n ** 32n - 1n;

/** The attribute an enum must close with to have its BTF size in C ("" when C's choice is right). */
function modeFor(e: BtfEnumType | BtfEnum64Type): string {
  if (e.size === 1) return " __attribute__((mode(byte)))";
  if (e.size === 2) return " __attribute__((mode(HI)))";
  if (e.size !== 8) return "";
  // C makes an enum 4 bytes when every value fits int, or (none negative) unsigned int.
  const vals = e.values.map((v) => BigInt(v.value));
  const fits4 = vals.some((v) => v < 0n) ? vals.every((v) => v >= INT_MIN && v <= INT_MAX) : vals.every((v) => v <= UINT_MAX);
  return fits4 ? " __attribute__((mode(word)))" : "";
}

interface EnumBlock {
  /** 0-based index of the closing line. */
  close: number;
  /** Enumerator names and values as printed. */
  values: [string, bigint][];
}

// Every enum body in a header: `...enum [name] {`, `\tNAME = V,` lines, then `}...` at the same indent.
function enumBlocks(lines: string[]): EnumBlock[] {
  const blocks: EnumBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\t*)(?:[\w ]+ )?enum(?: \w+)? \{$/.exec(lines[i]);
    if (!open) continue;
    const tabs = open[1], values: [string, bigint][] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j].startsWith(`${tabs}}`); j++) {
      const v = new RegExp(`^${tabs}\\t(\\w+) = (-?\\d+)(?:U?LL)?,$`).exec(lines[j]);
      if (!v) throw new Error(`line ${j + 1}: not an enumerator: ${lines[j]}`);
      values.push([v[1], BigInt(v[2])]);
    }
    blocks.push({ close: j, values });
    i = j;
  }
  return blocks;
}

function enumsOf(btf: Btf): (BtfEnumType | BtfEnum64Type)[] {
  const out: (BtfEnumType | BtfEnum64Type)[] = [];
  for (let id = 1; id < btf.count; id++) {
    const k = btf.kindNumberOf(id);
    if (k === 6 || k === 19) out.push(btf.typeById(id) as BtfEnumType | BtfEnum64Type);
  }
  return out;
}

// The BTF enum a printed body came from: same values, names equal up to a ___N the dump added.
function enumOfBlock(byFirst: Map<string, (BtfEnumType | BtfEnum64Type)[]>, b: EnumBlock): BtfEnumType | BtfEnum64Type {
  const first = b.values[0][0];
  const cands = [...(byFirst.get(first) ?? []), ...(byFirst.get(first.replace(/___\d+$/, "")) ?? [])].filter((e) =>
    e.values.length === b.values.length && e.values.every((v, i) => {
      const [name, value] = b.values[i];
      return (name === v.name || name.replace(/___\d+$/, "") === v.name) && BigInt(v.value) === value;
    }));
  if (!cands.length) throw new Error(`line ${b.close + 1}: no BTF enum has the values ${b.values.map((v) => v[0]).join(", ")}`);
  const modes = new Set(cands.map(modeFor));
  if (modes.size > 1) throw new Error(`line ${b.close + 1}: enums of different sizes print alike`);
  return cands[0];
}

// ---- The other allowed difference: unions sized as the BTF says ----

/** What a union's definition needs to have its BTF size in C; libbpf's btf_dump writes none of it. */
interface UnionFix {
  /** `__attribute__((packed))`: its size is no multiple of its members' alignment. */
  packed: boolean;
  /** Bits of an unnamed bitfield ending the body (tail padding), 0 for none. */
  padBits: number;
  /** N of `__attribute__((aligned(N)))` where no bitfield reaches (over 8 bytes), 0 for none. */
  aligned: number;
}

const roundTo = (x: number, to: number) => Math.ceil(x / to) * to;

/**
 * The fix union `u` needs (undefined: none; "unstatable": none exists). C sizes a union as its
 * widest member rounded up to its members' largest alignment; a packed union aligns to 1; an
 * unnamed bitfield widens it up to its own width without aligning it.
 */
function unionFixOf(btf: Btf, u: BtfCompositeType): UnionFix | "unstatable" | undefined {
  let widest = 0, align = 1;
  for (const m of u.members) {
    try {
      widest = Math.max(widest, m.bitfieldSize ? Math.ceil(m.bitfieldSize / 8) : btf.sizeof(m.type));
      align = Math.max(align, btf.alignof(m.type));
    } catch { /* an incomplete member */ }
  }
  const packed = u.size % align !== 0;
  const a = packed ? 1 : align, c = roundTo(widest, a);
  if (c > u.size) return "unstatable";
  if (c === u.size) return packed ? { packed, padBits: 0, aligned: 0 } : undefined;
  if (u.size <= 8) return { packed, padBits: u.size * 8, aligned: 0 };
  for (let n = a * 2; n <= u.size; n *= 2) if (roundTo(widest, n) === u.size) return { packed, padBits: 0, aligned: n };
  return "unstatable";
}

function padLine(tabs: string, bits: number): string {
  return `${tabs}${bits <= 8 ? "char" : bits <= 16 ? "short" : bits <= 32 ? "int" : "long"}: ${bits};`;
}

interface Body {
  /** 0-based lines of the opening `{` and the closing `}`. */
  open: number;
  close: number;
  /** Tabs before the opening line's text. */
  indent: number;
  /** struct, union, enum, or "" for a line of another form ending in `{`. */
  kind: string;
  /** The tag on the opening line (top-level definitions), "" when anonymous. */
  tag: string;
  /** `typedef struct {` / `typedef union {`. */
  typedef: boolean;
  /** The name declared after the closing `}` ("" for none). */
  declared: string;
  parent?: Body;
  children: Body[];
}

// Every body of a header: lines ending in ` {`, closed by `}` at the same indent.
function bodies(lines: string[]): Body[] {
  const all: Body[] = [], stack: Body[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const tabs = /^\t*/.exec(l)![0].length;
    const top = stack[stack.length - 1];
    if (top && tabs === top.indent && l.startsWith(`${"\t".repeat(tabs)}}`)) {
      top.close = i;
      const rest = l.slice(tabs + 1).replace(/ __attribute__\(\(.*?\)\)/g, "");
      top.declared = /[A-Za-z_]\w*/.exec(rest)?.[0] ?? "";
      stack.pop();
      continue;
    }
    if (!l.endsWith(" {")) continue;
    const m = /^\t*(typedef )?(?:(?:const|volatile) )*(struct|union|enum)(?: (\w+))? \{$/.exec(l);
    const b: Body = { open: i, close: -1, indent: tabs, kind: m?.[2] ?? "", tag: m?.[3] ?? "", typedef: !!m?.[1], declared: "", parent: top, children: [] };
    top?.children.push(b);
    all.push(b);
    stack.push(b);
  }
  return all;
}

/**
 * The BTF type of each struct or union body: a top-level tag or typedef by its name (when the
 * name is its own), a nested anonymous one through its parent's member of that name (the k-th
 * unnamed one for the k-th unnamed body). Bodies it cannot place are left out.
 */
function bodyTypes(btf: Btf, all: Body[]): Map<Body, number> {
  const tags = new Map<string, number[]>(), typedefs = new Map<string, number[]>();
  for (let id = 1; id < btf.count; id++) {
    const k = btf.kindNumberOf(id);
    if (k !== 4 && k !== 5 && k !== 8) continue;
    const t = btf.typeById(id);
    if (!t.name) continue;
    const m = k === 8 ? typedefs : tags;
    m.set(`${k === 8 ? "" : t.kind} ${t.name}`, [...(m.get(`${k === 8 ? "" : t.kind} ${t.name}`) ?? []), id]);
  }
  const out = new Map<Body, number>();
  const anonOf = (id: number): AnyBtfType => {
    let t = btf.typeById(id);
    while (t.kind === "ptr" || t.kind === "array" || t.kind === "const" || t.kind === "volatile" || t.kind === "restrict" || t.kind === "type_tag") t = btf.typeById(t.type);
    return t;
  };
  const place = (b: Body, id: number) => {
    const t = btf.typeById(id);
    expect(t.kind, `line ${b.open + 1}: the body of a ${b.kind} placed on type id ${id}`).toBe(b.kind);
    out.set(b, id);
    if (t.kind !== "struct" && t.kind !== "union") return;
    let unnamed = 0;
    const anonMembers = t.members.filter((m) => !m.name && (anonOf(m.type).kind === "struct" || anonOf(m.type).kind === "union") && !anonOf(m.type).name);
    for (const c of b.children) {
      if (c.kind !== "struct" && c.kind !== "union") continue;
      const m = c.declared ? t.members.find((x) => x.name === c.declared) : anonMembers[unnamed++];
      const inner = m && anonOf(m.type);
      if (inner && !inner.name) place(c, inner.id);
    }
  };
  for (const b of all) {
    if (b.parent || (b.kind !== "struct" && b.kind !== "union")) continue;
    const ids = b.typedef ? typedefs.get(` ${b.declared}`) : tags.get(`${b.kind} ${b.tag}`);
    if (ids?.length !== 1) continue;
    const typedef = btf.typeById(ids[0]);
    place(b, typedef.kind === "typedef" ? anonOf(typedef.type).id : ids[0]);
  }
  return out;
}

/** How a header differs from bpftool's as it must: what {@link sameButSizes} counted. */
interface SizedLines {
  /** Lines of our header. */
  lines: number;
  /** Enums closing with a mode attribute. */
  sized: number;
  /** Union bodies given what sizes them (packed, a tail pad or an aligned attribute). */
  unions: number;
  /** Union bodies of bpftool's header not placed on a BTF type (their lines must be equal). */
  unplaced: number;
}

/**
 * Compares our header with bpftool's line by line. Lines closing an enum that needs a size
 * attribute must be bpftool's with the attribute after the `}`; a union C would size otherwise
 * must close with ` __attribute__((packed))` and/or ` __attribute__((aligned(N)))` after the `}`,
 * or end with a pad bitfield line before it; all other lines must be equal. Fails naming the
 * first mismatching lines.
 */
function sameButSizes(btf: Btf, mine: string, theirs: string): SizedLines {
  const a = mine.split("\n"), b = theirs.split("\n");
  const byFirst = new Map<string, (BtfEnumType | BtfEnum64Type)[]>();
  for (const e of enumsOf(btf)) {
    if (!e.values.length) continue;
    const k = e.values[0].name;
    byFirst.set(k, [...(byFirst.get(k) ?? []), e]);
  }
  const want = new Map<number, string>(), before = new Map<number, string>();
  for (const blk of enumBlocks(b)) {
    const mode = modeFor(enumOfBlock(byFirst, blk));
    if (!mode) continue;
    const m = /^(\t*)\}(.*)$/.exec(b[blk.close])!;
    want.set(blk.close, `${m[1]}}${mode}${m[2]}`);
  }
  const sized = want.size;
  const all = bodies(b), placed = bodyTypes(btf, all);
  let unions = 0;
  for (const [body, id] of placed) {
    const t = btf.typeById(id);
    if (t.kind !== "union") continue;
    const fix = unionFixOf(btf, t);
    if (!fix || fix === "unstatable") continue;
    unions++;
    const m = /^(\t*)\}(.*)$/.exec(b[body.close])!;
    const attrs = `${fix.packed ? " __attribute__((packed))" : ""}${fix.aligned ? ` __attribute__((aligned(${fix.aligned})))` : ""}`;
    if (attrs) want.set(body.close, `${m[1]}}${attrs}${m[2]}`);
    if (fix.padBits) before.set(body.close, padLine(`${m[1]}\t`, fix.padBits));
  }
  const expected: string[] = [];
  for (let i = 0; i < b.length; i++) {
    const pad = before.get(i);
    if (pad !== undefined) expected.push(pad);
    expected.push(want.get(i) ?? b[i]);
  }
  expect(a.length, "line count").toBe(expected.length);
  const bad: string[] = [];
  let badCount = 0;
  for (let i = 0; i < expected.length; i++) {
    if (a[i] === expected[i]) continue;
    if (++badCount <= 10) bad.push(`line ${i + 1}: mine ${JSON.stringify(a[i])}, want ${JSON.stringify(expected[i])}`);
  }
  expect(badCount ? [`${badCount} lines differ`, ...bad] : []).toEqual([]);
  // Nothing but those lines carries a mode attribute.
  expect(a.filter((l) => l.includes("__attribute__((mode(")).length).toBe(sized);
  const unplaced = all.filter((x) => x.kind === "union" && !placed.has(x)).length;
  return { lines: a.length, sized, unions, unplaced };
}

// ---- Layout checks: _Static_asserts from the BTF, compiled against a header ----

interface LayoutChecks {
  /** The C file's text (it includes "vmlinux.h"). */
  source: string;
  /** Number of asserts. */
  count: number;
  /** Named structs/unions/typedefs left out, by reason. */
  skipped: Record<string, number>;
  /** Ids of the structs and unions checked. */
  checked: Set<number>;
}

// Types whose C layout no header from BTF can state, so checking them proves nothing here:
// __builtin_va_list is the compiler's own (24 bytes for x86-64 GCC, 8 for clang's BPF target),
// and a union no attribute or pad could size (none in the kernels seen: see unionFixOf).
function unstatable(btf: Btf): (id: number) => string | undefined {
  const memo = new Map<number, string | undefined>();
  const why = (id: number, depth: number): string | undefined => {
    if (memo.has(id)) return memo.get(id);
    memo.set(id, undefined);
    const t = btf.typeById(id);
    let r: string | undefined;
    if (depth > 64) r = undefined;
    else if (t.kind === "typedef" && t.name === "__builtin_va_list") r = "holds __builtin_va_list (the compiler's own)";
    else if (t.kind === "typedef" || t.kind === "const" || t.kind === "volatile" || t.kind === "restrict" || t.kind === "type_tag" || t.kind === "array") r = why(t.type, depth + 1);
    else if (t.kind === "struct" || t.kind === "union") {
      for (const m of t.members) r ??= why(m.type, depth + 1);
      if (!r && t.kind === "union" && unionFixOf(btf, t) === "unstatable") r = "holds a union C cannot size as the BTF does";
    }
    memo.set(id, r);
    return r;
  };
  return (id) => why(id, 0);
}

function layoutChecks(btf: Btf): LayoutChecks {
  // Only names the header prints as they are: the first of their kind's name space in BTF.
  const tags = new Map<string, number>(), idents = new Map<string, number>();
  const bump = (m: Map<string, number>, n: string) => m.set(n, (m.get(n) ?? 0) + 1);
  for (let id = 1; id < btf.count; id++) {
    const k = btf.kindNumberOf(id);
    if (k !== 1 && k !== 4 && k !== 5 && k !== 6 && k !== 19 && k !== 8) continue;
    const t = btf.typeById(id);
    if (t.kind === "typedef") bump(idents, t.name);
    else if (t.name) bump(tags, t.name);
    if (t.kind === "enum" || t.kind === "enum64") for (const v of t.values) bump(idents, v.name);
  }
  const skip = unstatable(btf);
  const lines = ['#include "vmlinux.h"'];
  const skipped: Record<string, number> = {};
  const checked = new Set<number>();
  const skipFor = (r: string) => (skipped[r] = (skipped[r] ?? 0) + 1);
  for (let id = 1; id < btf.count; id++) {
    const k = btf.kindNumberOf(id);
    if (k === 4 || k === 5) {
      const t = btf.typeById(id) as AnyBtfType & { kind: "struct" | "union" };
      if (!t.name) continue;
      if (tags.get(t.name) !== 1) {
        skipFor("a name the header suffixes (___N)");
        continue;
      }
      const r = skip(id);
      if (r) {
        skipFor(r);
        continue;
      }
      const c = `${t.kind} ${t.name}`;
      lines.push(`_Static_assert(sizeof(${c}) == ${t.size}, "sizeof(${c})");`);
      for (const m of t.members) {
        if (!m.name || m.bitfieldSize) continue;
        lines.push(`_Static_assert(__builtin_offsetof(${c}, ${m.name}) == ${m.bitOffset / 8}, "offsetof(${c}, ${m.name})");`);
      }
      checked.add(id);
    } else if (k === 8) {
      const t = btf.typeById(id);
      if (t.name === "__builtin_va_list") continue;
      if (idents.get(t.name) !== 1) {
        skipFor("a name the header suffixes (___N)");
        continue;
      }
      const r = skip(id);
      if (r) {
        skipFor(r);
        continue;
      }
      const under = btf.resolve(t);
      if (under.kind === "func_proto" || under.kind === "void" || under.kind === "fwd") continue;
      lines.push(`_Static_assert(sizeof(${t.name}) == ${btf.sizeof(t)}, "sizeof(${t.name})");`);
    }
  }
  return { source: lines.join("\n") + "\n", count: lines.length - 1, skipped, checked };
}

interface Compiled {
  /** clang's exit status. */
  status: number | null;
  /** The messages of failed _Static_asserts. */
  failed: string[];
  /** Other errors. */
  errors: string[];
}

// Clang's switch for tagged structs and unions as unnamed members, and the warning it then gives
// for each: the two bpftool's own build passes for its BPF programs on vmlinux.h.
const MS_EXTENSIONS = ["-fms-extensions", "-Wno-microsoft-anon-tag"];

function compile(header: string, checks: LayoutChecks, tag: string, flags: string[] = MS_EXTENSIONS): Compiled {
  // The header apart from the C file: "vmlinux.h" is searched next to the includer first.
  const dir = join(tmp, `cc-${tag}-${fileNo++}`), inc = join(dir, "include");
  mkdirSync(inc, { recursive: true });
  writeFileSync(join(inc, "vmlinux.h"), header);
  writeFileSync(join(dir, "checks.c"), checks.source);
  const r = spawnSync("clang-19", ["-target", "bpf", "-fsyntax-only", "-ferror-limit=0", ...flags, "-I", inc, join(dir, "checks.c")], { encoding: "utf8", maxBuffer: 1 << 28 });
  const errs = r.stderr.split("\n").filter((l) => l.includes("error:"));
  const failed = errs.filter((l) => l.includes("static assertion failed")).map((l) => l.replace(/.*: /, ""));
  return { status: r.status, failed, errors: errs.filter((l) => !l.includes("static assertion failed")) };
}

// Structs holding (through typedefs, qualifiers, arrays) an enum that must carry a size attribute.
function structsWithSizedEnums(btf: Btf, ids: Set<number>): number[] {
  const out: number[] = [];
  for (const id of ids) {
    const t = btf.typeById(id) as AnyBtfType & { kind: "struct" | "union" };
    const sized = t.members.some((m) => {
      let u = btf.typeById(m.type);
      while (u.kind === "array" || u.kind === "typedef" || u.kind === "const" || u.kind === "volatile") u = btf.typeById(u.type);
      return (u.kind === "enum" || u.kind === "enum64") && modeFor(u) !== "";
    });
    if (sized) out.push(id);
  }
  return out;
}

const stripped = (btf: Btf, id: number): AnyBtfType => {
  let t = btf.typeById(id);
  while (t.kind === "typedef" || t.kind === "const" || t.kind === "volatile" || t.kind === "restrict" || t.kind === "type_tag" || t.kind === "array") t = btf.typeById(t.type);
  return t;
};

/**
 * Whether struct or union `id` holds by value (nested, or in an array) an unnamed member whose
 * type is a named struct or union (through typedefs and qualifiers): what C drops without
 * -fms-extensions.
 */
function holdsTaggedAnon(btf: Btf): (id: number) => boolean {
  const memo = new Map<number, boolean>();
  const holds = (id: number): boolean => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    memo.set(id, false);
    const t = btf.typeById(id) as AnyBtfType & { kind: "struct" | "union" };
    const r = t.members.some((m) => {
      const u = stripped(btf, m.type);
      if (u.kind !== "struct" && u.kind !== "union") return false;
      return (!m.name && u.name !== "") || holds(u.id);
    });
    memo.set(id, r);
    return r;
  };
  return holds;
}

/** What compiling without -fms-extensions broke, which must be only structs that need it. */
interface StrictC {
  /** Checked structs and unions holding a tagged unnamed member. */
  holders: number;
  /** Failed asserts. */
  failed: number;
}

// The struct, union or typedef an assert's message names: `sizeof(struct X)`, `offsetof(union X, m)`, `sizeof(T)`.
const ASSERTED = /^(?:sizeof|offsetof)\((?:(struct|union) )?(\w+)[,)]/;

/**
 * Our header compiled as standard C: each failed assert must be about a struct (or a typedef of
 * one) holding a tagged unnamed member, and where the checks have such a struct, some must fail.
 */
function strictC(btf: Btf, mine: string, checks: LayoutChecks, tag: string): StrictC {
  const holds = holdsTaggedAnon(btf);
  const holders = [...checks.checked].filter(holds);
  const byName = new Map<string, number>();
  for (let id = 1; id < btf.count; id++) {
    const k = btf.kindNumberOf(id);
    if (k !== 4 && k !== 5 && k !== 8) continue;
    const t = btf.typeById(id);
    if (t.name) byName.set(`${t.kind === "typedef" ? "" : t.kind} ${t.name}`, id);
  }
  const r = compile(mine, checks, `${tag}-strict`, []);
  expect(r.errors).toEqual([]);
  const wrong = r.failed.filter((msg) => {
    const m = ASSERTED.exec(msg);
    const id = m ? byName.get(`${m[1] ?? ""} ${m[2]}`) : undefined;
    if (id === undefined) return true;
    const u = stripped(btf, id);
    return (u.kind !== "struct" && u.kind !== "union") || !holds(u.id);
  });
  expect(wrong, "asserts failing as standard C about structs without tagged unnamed members").toEqual([]);
  if (holders.length) expect(r.failed.length).toBeGreaterThan(0);
  else expect(r.failed).toEqual([]);
  return { holders: holders.length, failed: r.failed.length };
}

/**
 * Our header and bpftool's both compiled with the layout checks (and -fms-extensions); ours must
 * hold them all. Ours again as standard C, where only what needs the extension may break.
 */
function checkLayouts(btf: Btf, mine: string, theirs: string | undefined, tag: string): { checks: LayoutChecks; strict: StrictC } {
  const checks = layoutChecks(btf);
  expect(checks.count).toBeGreaterThan(0);
  const ours = compile(mine, checks, `${tag}-mine`);
  expect(ours.errors).toEqual([]);
  expect(ours.failed).toEqual([]);
  expect(ours.status).toBe(0);
  const strict = strictC(btf, mine, checks, tag);
  let note = `; as standard C (no -fms-extensions) ${strict.failed} fail, all in the ${strict.holders} structs holding a tagged unnamed member`;
  if (theirs !== undefined) {
    const bpf = compile(theirs, checks, `${tag}-bpftool`);
    expect(bpf.errors).toEqual([]);
    const odd = structsWithSizedEnums(btf, checks.checked);
    // Where an odd-sized enum sits in a struct, bpftool 7.1's 4-byte enum moves what follows;
    // a union libbpf leaves unsized has the wrong size there (any libbpf).
    const unsized = [...checks.checked].filter((id) => {
      const t = btf.typeById(id);
      return t.kind === "union" && unionFixOf(btf, t) !== undefined;
    });
    for (const id of unsized) expect(bpf.failed).toContain(`sizeof(union ${btf.typeById(id).name})`);
    if (odd.length) expect(bpf.failed.length).toBeGreaterThan(0);
    note += `; bpftool's header fails ${bpf.failed.length} (${odd.length} structs hold an odd-sized enum, ${unsized.length} unions need sizing)${bpf.failed.length ? `, e.g. ${bpf.failed[0]}` : ""}`;
  }
  const sk = Object.entries(checks.skipped).map(([r, n]) => `${n} ${r}`).join(", ");
  console.log(`${tag}: ${checks.count} layout asserts hold for our header${note}; left out: ${sk || "none"}`);
  return { checks, strict };
}

// ---- Hand-made BTF ----

/** Type ids and names on top of blob.ts's Writer. */
class Types {
  readonly w = new Writer();
  next = 1;
  add(name: string, kind: number, vlen: number, kflag: boolean, sizeOrType: number, ...trailer: number[]): number {
    this.w.type(this.w.str(name), kind, vlen, kflag, sizeOrType, ...trailer);
    return this.next++;
  }
  int(name: string, size: number, signed = false): number {
    return this.add(name, 1, 0, false, size, (signed ? 1 : 0) << 24 | size * 8);
  }
  ref(kind: "ptr" | "typedef" | "volatile" | "const" | "restrict" | "type_tag", to: number, name = "", kflag = false): number {
    return this.add(name, { ptr: 2, typedef: 8, volatile: 9, const: 10, restrict: 11, type_tag: 18 }[kind], 0, kflag, to);
  }
  array(of: number, n: number, index: number): number {
    return this.add("", 3, 0, false, 0, of, index, n);
  }
  /** Members: [name, type, bit offset, bitfield size]. */
  composite(kind: "struct" | "union", name: string, size: number, members: [string, number, number, number?][]): number {
    const kflag = members.some((m) => m[3]);
    return this.add(name, kind === "struct" ? 4 : 5, members.length, kflag, size,
      ...members.flatMap(([n, t, off, bits]) => [this.w.str(n), t, kflag ? (bits ?? 0) << 24 | off : off]));
  }
  enum(name: string, size: number, signed: boolean, values: [string, number][]): number {
    return this.add(name, 6, values.length, signed, size, ...values.flatMap(([n, v]) => [this.w.str(n), v >>> 0]));
  }
  enum64(name: string, size: number, signed: boolean, values: [string, bigint][]): number {
    return this.add(name, 19, values.length, signed, size, ...values.flatMap(([n, v]) => {
      const u = BigInt.asUintN(64, v);
      return [this.w.str(n), Number(u & 0xffffffffn), Number(u >> 32n)];
    }));
  }
  proto(ret: number, params: [string, number][]): number {
    return this.add("", 13, params.length, false, ret, ...params.flatMap(([n, t]) => [this.w.str(n), t]));
  }
  fwd(name: string, union = false): number {
    return this.add(name, 7, 0, union, 0);
  }
  bytes(): Uint8Array {
    return assemble(this.w.sections());
  }
}

// Every corner the task names, in one blob: each struct is also checked by clang.
function corners(): Uint8Array {
  const b = new Types();
  const int = b.int("int", 4, true), char = b.int("char", 1, true), long = b.int("long int", 8, true);
  const uchar = b.int("unsigned char", 1), ushort = b.int("short unsigned int", 2), uint = b.int("unsigned int", 4);
  const float = b.add("float", 16, 0, false, 4), double = b.add("double", 16, 0, false, 8);
  // Anonymous types nested in each other, and an anonymous enum member.
  const lohi = b.composite("struct", "", 8, [["lo", int, 0], ["hi", int, 32]]);
  const inner = b.composite("struct", "", 1, [["c", char, 0]]);
  const anonE = b.enum("", 4, false, [["AE_ONE", 1], ["AE_TWO", 2]]);
  const u = b.composite("union", "", 8, [["", lohi, 0], ["whole", long, 0], ["in", inner, 0]]);
  b.composite("struct", "nested", 24, [["kind", int, 0], ["", u, 64], ["which", anonE, 128]]);
  // Bitfields around holes, and a tail pad.
  b.composite("struct", "bitholes", 16, [["a", int, 0, 3], ["b", int, 8, 5], ["c", char, 24], ["d", uint, 40, 4], ["e", long, 64, 20]]);
  b.composite("struct", "bitgap", 8, [["x", int, 0, 4], ["y", int, 60, 4]]);
  // Packed: members off their alignment.
  b.composite("struct", "packed_s", 13, [["a", char, 0], ["b", int, 8], ["c", long, 40]]);
  // Function pointers: a typedef, an array of them, (void), varargs, a function returning a pointer to an array.
  const charp = b.ref("ptr", char);
  const fnT = b.ref("typedef", b.ref("ptr", b.proto(int, [["x", int], ["s", charp]])), "fn_t");
  const voidFn = b.ref("ptr", b.proto(0, [["", 0]]));
  const noParams = b.ref("ptr", b.proto(0, []));
  const varFn = b.ref("ptr", b.proto(int, [["fmt", charp], ["", 0]]));
  const arr3 = b.array(int, 3, int);
  const retArr = b.ref("ptr", b.proto(b.ref("ptr", arr3), [["which", int]]));
  b.composite("struct", "fnptrs", 72, [
    ["f", fnT, 0], ["table", b.array(voidFn, 4, int), 64], ["none", noParams, 320], ["printf", varFn, 384], ["pick", retArr, 448],
  ]);
  // Arrays of arrays, a pointer to an array, an array of pointers to arrays.
  const m23 = b.array(b.array(int, 3, int), 2, int);
  b.composite("struct", "arrays", 56, [["m", m23, 0], ["rowp", b.ref("ptr", arr3), 192], ["rows", b.array(b.ref("ptr", arr3), 2, int), 256], ["flat", b.array(uchar, 0, int), 384]]);
  // Qualifiers: const pointer to const, volatile, restrict, const array.
  const cc = b.ref("const", char);
  b.composite("struct", "quals", 32, [
    ["name", b.ref("const", b.ref("ptr", cc)), 0], ["cv", b.ref("volatile", b.ref("ptr", b.ref("const", b.ref("volatile", int)))), 64],
    ["buf", b.ref("restrict", charp), 128], ["tbl", b.ref("const", b.array(ushort, 4, int)), 192],
  ]);
  // Cycles through pointers: forward declarations, a typedef before its struct, a FWD union.
  const at = b.next;
  b.ref("ptr", at + 4); // at: struct a_s *
  b.ref("ptr", at + 5); // at+1: struct b_s *
  b.ref("typedef", at + 6, "node_t"); // at+2
  b.ref("ptr", at + 2); // at+3: node_t *
  b.composite("struct", "a_s", 16, [["b", at + 1, 0], ["first", at + 3, 64]]);
  b.composite("struct", "b_s", 24, [["a", at + 4, 0], ["self", at + 1, 128]]);
  b.composite("struct", "node", 8, [["next", at + 3, 0]]);
  const fwdU = b.fwd("opaque_u", true);
  b.composite("struct", "uses_fwd", 8, [["u", b.ref("ptr", fwdU), 0]]);
  // Enums of every size, signed and not, ENUM64 both ways; a struct holding them by value.
  const e1 = b.enum("e_byte", 1, false, [["EB_A", 1], ["EB_B", 255]]);
  const e2 = b.enum("e_half", 2, false, [["EH_A", 1], ["EH_B", 65535]]);
  const e8 = b.enum("e_word", 8, false, [["EW_A", 1]]);
  const eneg = b.enum("e_neg", 4, true, [["EN_MIN", -0x80000000], ["EN_ONE", 1]]);
  const eu = b.enum("e_umax", 4, false, [["EU_MAX", 0xffffffff]]);
  const big = b.enum64("e64_big", 8, false, [["E64_BIG", 0x123456789n], ["E64_TOP", 0xffffffffffffffffn]]);
  const small = b.enum64("e64_small", 8, false, [["E64_SMALL", 5n]]);
  const sneg = b.enum64("e64_sneg", 8, true, [["E64_SNEG", -2n], ["E64_SPOS", 7n]]);
  const sbig = b.enum64("e64_sbig", 8, true, [["E64_SBIG", -0x100000000n]]);
  const e1s = b.enum("e_sbyte", 1, true, [["ESB_NEG", -1]]);
  b.composite("struct", "enums", 64, [
    ["a", uchar, 0], ["b1", e1, 8], ["b2", e2, 16], ["s1", e1s, 32], ["w", e8, 64], ["n", eneg, 128], ["u", eu, 160],
    ["big", big, 192], ["small", small, 256], ["sneg", sneg, 320], ["sbig", sbig, 384], ["tail", uchar, 448],
  ]);
  b.enum("", 4, false, [["LONE_CONSTANT", 42]]);
  // FLOAT, a TYPE_TAG (plain and attribute-style), DECL_TAGs on a struct and a member.
  const tagged = b.ref("ptr", b.ref("type_tag", int, "user"));
  const kfTagged = b.ref("ptr", b.ref("type_tag", int, "address_space(1)", true));
  const misc = b.composite("struct", "misc", 32, [["f", float, 0], ["d", double, 64], ["user", tagged, 128], ["as1", kfTagged, 192]]);
  b.add("misc_tag", 17, 0, false, misc, -1 >>> 0);
  b.add("member_tag", 17, 0, false, misc, 1);
  // Names the dump must suffix: a second struct dup, a typedef named like an enumerator.
  b.composite("struct", "dup", 4, [["x", int, 0]]);
  b.composite("struct", "dup", 8, [["y", long, 0]]);
  b.ref("typedef", int, "DUPV");
  b.enum("dupv_e", 4, false, [["DUPV", 1]]);
  // Empty, padding-only and memberless union.
  b.composite("struct", "empty", 0, []);
  b.composite("struct", "pad_only", 8, []);
  // A union whose members BTF lost (the kernel's transparent union release_pages_arg: size 8,
  // vlen 0), and a struct holding it: without tail padding, `x` would move to 0.
  const noMembers = b.ref("typedef", b.composite("union", "", 8, []), "no_members_t");
  b.composite("struct", "holds_no_members", 16, [["u", noMembers, 0], ["x", int, 64]]);
  // A variable, a function and a section, which format c leaves out.
  const fproto = b.proto(int, [["x", int]]);
  b.add("some_func", 12, 1, false, fproto);
  const v = b.add("some_var", 14, 0, false, int, 1);
  b.add(".data", 15, 1, false, 4, v, 0, 4);
  return b.bytes();
}

// A named struct embedding an anonymous one that embeds the first: no forward declaration helps.
function unsatisfiable(): Uint8Array {
  const b = new Types();
  const int = b.int("int", 4, true);
  b.composite("struct", "outer", 8, [["x", int, 0], ["in", 3, 32]]);
  b.composite("struct", "", 4, [["back", 2, 0]]);
  return b.bytes();
}

// A split BTF over the kinds fixture: its own structs referring to base types.
function splitOver(base: Btf): Uint8Array {
  const w = new Writer(base.strings.end);
  const first = base.count;
  const int = base.find("int", "int")!.id;
  const holder = base.find("holder", "struct")!.id;
  w.type(w.str("split_s"), 4, 2, false, 16, w.str("x"), int, 0, w.str("h"), first + 1, 64);
  w.type(0, 2, 0, false, holder);
  w.type(w.str("split_t"), 8, 0, false, first);
  w.type(w.str("split_e"), 6, 1, false, 1, w.str("SPLIT_ONE"), 1);
  return assemble(w.sections());
}

/** How many types format("c") decoded through typeById (it reads the blob itself when it can). */
function decodedTypes(btf: Btf): () => number {
  let n = 0;
  const typeById = btf.typeById.bind(btf);
  btf.typeById = (id: number) => (n++, typeById(id));
  return () => n;
}

// The same Btf with its string section copied out of the blob: format("c") must then read
// decoded types, and print the same.
function detachedFormat(bytes: Uint8Array): string {
  const btf = Btf.parse(bytes);
  const s = btf.strings;
  Object.defineProperty(btf, "strings", { value: new BtfStrings(new Uint8Array(s.bytes), s.blobStart, btf.base?.strings) });
  const decoded = decodedTypes(btf);
  const out = btf.format("c");
  expect(decoded()).toBeGreaterThan(0);
  return out;
}

describe("format('c') equals bpftool's format c but for enum and union sizes", () => {
  needing(noBpftool, "the clang fixtures (both byte orders)", () => {
    for (const name of ["kinds", "format-c"]) {
      const btf = Btf.parse(fixture(`${name}.el.btf`));
      const mine = btf.format("c");
      const r = sameButSizes(btf, mine, bpftoolC(join(fixtureDir, `${name}.el.btf`)).out);
      expect(r.lines).toBeGreaterThan(50);
      expect(r.unplaced).toBe(0);
      if (name === "format-c") {
        expect(r.sized).toBe(3);
        // wide_u, packed_u, packed_aligned_u, wide32_u and the anonymous one in holds_unions.
        expect(r.unions).toBe(5);
        // Tagged unnamed members as written; over-alignment as padding (a `long: 0;` mark before
        // c8, which the 4-byte gap after `int b` would not align), no aligned attribute but the
        // one a union over 8 bytes needs.
        expect(mine).toContain("struct ms_anon {\n\tstruct ms_head;\n\tunion {\n\t\tunion ms_word;\n\t\tu64 whole;\n\t};\n\tchar tail;\n};");
        expect(mine).toContain("\tint b;\n\tlong: 0;\n\tchar c8;\n");
        expect(mine).toContain("union wide_u {\n\tchar c;\n\tshort s;\n\tlong: 64;\n};");
        expect(mine).toContain("\tu64 host_event64;\n} __attribute__((packed));");
        expect(mine).toContain("\tu64 q;\n} __attribute__((packed)) __attribute__((aligned(2)));");
        expect(mine).toContain("\tu32 w;\n} __attribute__((aligned(32)));");
        expect(mine).toContain("\t\t\tu8 b[10];\n\t\t} __attribute__((packed)) anon_packed;");
        expect(mine.match(/__attribute__\(\(aligned/g)).toHaveLength(2);
      }
      if (existsSync(join(fixtureDir, `${name}.eb.btf`))) {
        expect(Btf.parse(fixture(`${name}.eb.btf`)).format("c")).toBe(mine);
        expect(bpftoolC(join(fixtureDir, `${name}.eb.btf`)).out).toBe(bpftoolC(join(fixtureDir, `${name}.el.btf`)).out);
      }
      expect(detachedFormat(fixture(`${name}.el.btf`))).toBe(mine);
    }
  });

  needing(noBpftool, "hand-made corners: nesting, bitfields, packing, function pointers, arrays, qualifiers, cycles, enum sizes, tags", () => {
    const bytes = corners();
    const btf = Btf.parse(bytes);
    const decoded = decodedTypes(btf);
    const mine = btf.format("c");
    expect(decoded()).toBe(0);
    const r = sameButSizes(btf, mine, bpftoolC(writeBlob(bytes)).out);
    // e_byte, e_half, e_word, e64_small, e64_sneg and e_sbyte; not e64_big, e64_sbig or the 4-byte ones.
    expect(r.sized).toBe(6);
    // The memberless 8-byte union behind a typedef.
    expect(r.unions).toBe(1);
    expect(r.unplaced).toBe(0);
    expect(mine).toContain("typedef union {\n\tlong: 64;\n} no_members_t;");
    for (const want of [
      "} __attribute__((packed));", "typedef int (*fn_t)(int x, char *s);", "\tvoid (*table[4])(void);", "\tvoid (*none)(void);",
      "\tint (*printf)(char *fmt, ...);", "\tint (* (*pick)(int which))[3];", "\tint m[2][3];", "\tchar: 5;", "\tlong: 20;", "\tint: 28;", "\tint (*rows[2])[3];", "\tconst char * const name;",
      "\tvolatile const int * volatile cv;", "\tchar * restrict buf;", "struct b_s;", "union opaque_u;", "struct dup___2 {",
      "\tDUPV___2 = 1,", "struct empty {};", "\tint __attribute__((btf_type_tag(\"user\"))) *user;", "enum e64_sneg {",
    ]) expect(mine.split("\n")).toContain(want);
    expect(mine).toContain("\tE64_SNEG = -2LL,\n\tE64_SPOS = 7LL,\n} __attribute__((mode(word)));");
    expect(mine).not.toContain("some_func");
    expect(mine).not.toContain("some_var");
    expect(detachedFormat(bytes)).toBe(mine);
  });

  needing(noBpftool, "split BTF over the fixture (bpftool -B)", () => {
    const base = Btf.parse(fixture("kinds.el.btf"));
    const f = writeBlob(splitOver(base));
    const split = Btf.parse(readFileSync(f), { base });
    const mine = split.format("c");
    sameButSizes(split, mine, bpftoolC(f, join(fixtureDir, "kinds.el.btf")).out);
    expect(mine).toContain("struct split_s {\n\tint x;\n\tstruct holder *h;\n};");
    expect(mine).toContain("enum split_e {\n\tSPLIT_ONE = 1,\n} __attribute__((mode(byte)));");
  });

  needing(noBpftool, "what C cannot express is a BtfError naming the type, where bpftool fails too", () => {
    const f = writeBlob(unsatisfiable());
    expect(() => Btf.parse(readFileSync(f)).format("c")).toThrow(BtfError);
    expect(() => Btf.parse(readFileSync(f)).format("c")).toThrow(/unsatisfiable type cycle.*type id 2/);
    const r = bpftoolC(f);
    expect(r.status).not.toBe(0);
    expect(r.err).toContain("unsatisfiable type cycle");
    // A pointer to itself, which libbpf would follow forever: not given to bpftool.
    const loop = new Types();
    loop.ref("ptr", 1);
    expect(() => Btf.parse(loop.bytes()).format("c")).toThrow(BtfError);
  });

  needing(noClang, "clang-19 holds our header to the BTF's layouts: fixtures and corners", () => {
    const fresh = spawnSync("sh", [join(fixtureDir, "format-c.build.sh"), "--check"], { encoding: "utf8" });
    expect(fresh.status, fresh.stderr).toBe(0);
    for (const [tag, bytes] of [["kinds", fixture("kinds.el.btf")], ["format-c", fixture("format-c.el.btf")], ["corners", corners()]] as const) {
      const btf = Btf.parse(bytes);
      const theirs = noBpftool ? undefined : bpftoolC(writeBlob(bytes)).out;
      const { checks, strict } = checkLayouts(btf, btf.format("c"), theirs, tag);
      if (tag !== "format-c") continue;
      // The over-aligned, tagged-unnamed-member and union-sizing cases are checked, not left out.
      for (const name of ["over_s", "over_m", "holds_over", "ms_anon", "holds_ms", "holds_packed_u", "holds_unions", "all"]) {
        expect(checks.checked).toContain(btf.find(name, "struct")!.id);
      }
      for (const name of ["wide_u", "packed_u", "packed_aligned_u", "wide32_u"]) expect(checks.checked).toContain(btf.find(name, "union")!.id);
      expect(checks.skipped).toEqual({});
      // ms_anon, holds_ms and all.
      expect(strict.holders).toBe(3);
    }
  }, 120_000);
});

/** One BTF file's header and bpftool's, made on first use (a skipped test makes neither). */
interface WholeHeader {
  /** The parsed BTF, our header and bpftool's ("" without bpftool). */
  get(): { btf: Btf; mine: string; theirs: string };
}

function wholeHeader(file: string, tag: string): WholeHeader {
  let made: { btf: Btf; mine: string; theirs: string } | undefined;
  return {
    get() {
      if (made) return made;
      const btf = Btf.parse(readFileSync(file));
      const t0 = performance.now();
      const mine = btf.format("c");
      const ms = performance.now() - t0;
      const t1 = performance.now();
      const theirs = noBpftool ? "" : bpftoolC(file).out;
      console.log(`${tag}: format("c") ${ms.toFixed(0)} ms (after parsing); bpftool's format c as a process ${(performance.now() - t1).toFixed(0)} ms`);
      return (made = { btf, mine, theirs });
    },
  };
}

function everyLine(h: WholeHeader, tag: string): void {
  const { btf, mine, theirs } = h.get();
  const r = sameButSizes(btf, mine, theirs);
  console.log(`${tag}: ${r.lines} lines equal to bpftool's but the ${r.sized} closing enums and ${r.unions} unions sized as the BTF says`
    + ` (${r.unplaced} union bodies not placed on a BTF type, equal as they are)`);
  expect(r.lines).toBeGreaterThan(10_000);
}

function layouts(h: WholeHeader, tag: string): void {
  const { btf, mine, theirs } = h.get();
  checkLayouts(btf, mine, noBpftool ? undefined : theirs, tag);
}

describe("format('c') of the running kernel's BTF", () => {
  const h = wholeHeader(VMLINUX, "vmlinux");
  // Under emulation clang takes minutes over a vmlinux header: in the VMs, the newest kernel only
  // (the one whose BTF needs -fms-extensions); 5.10 to 6.12 passed there when this was written.
  itPriv("/sys/kernel/btf/vmlinux, every line", { kernelScenario: true, vmKernels: ["sid"], skipIf: noBpftool ?? noSysfs }, () => everyLine(h, "vmlinux"), 240_000);
  itPriv("clang-19 compiles the vmlinux header, and every struct's layout holds", { kernelScenario: true, vmKernels: ["sid"], skipIf: noClang ?? noSysfs },
    () => layouts(h, "vmlinux"), 240_000);
});

// E.g. Linux 7.2's vmlinux BTF, whose tagged unnamed members the host's kernel does not have.
describe("format('c') of the BTF file TSBPF_FORMAT_C_BTF names", () => {
  const h = wholeHeader(EXTRA ?? "", `TSBPF_FORMAT_C_BTF ${EXTRA}`);
  needing(noBpftool ?? noExtra, "every line", () => everyLine(h, `${EXTRA}`), 240_000);
  needing(noClang ?? noExtra, "clang-19 compiles its header, and every struct's layout holds", () => layouts(h, `${EXTRA}`), 240_000);
});

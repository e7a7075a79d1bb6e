// USDT: the notes of a program the test builds with sys/sdt.h (test/fixtures/usdt/target.c) as
// readelf reads them, the argument specs as libbpf's usdt.bpf.h reads them, fuzzed notes; then
// attachUsdt for real: a program built with usdt.bpf.h (test/fixtures/usdt/usdt.o) reads all six
// arguments of every call - registers, stack slots, a constant, signed and unsigned, 1 to 8 bytes -
// and the cookie, the semaphore counts the probe as enabled, and closing stops it and frees its specs.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ATTACH_VERSIONS, AttachType, attachUsdt, BpfMap, Collection, ElfError, ElfFile, encodeUsdtSpec, FeatureError, parseUsdtArg, parseUsdtArgs, UsdtArgKind, usdtNotes, UsdtLink, haveUprobeMulti, PerfEventLink,
} from "../../mod.ts";
import { describePriv, itPriv, kernelAtLeast } from "../helpers/env.ts";
import { bpfError, thrown } from "../helpers/expect.ts";
import { withEnv } from "../helpers/process-env.ts";
import { xorshift } from "../helpers/random.ts";
import { buildLibbpfTool, itIf, type LibbpfTool, libbpfMissing, toolMissing } from "../helpers/tools.ts";
import { run, startWaiting } from "../fixtures/uprobe/target.ts";
import { argsOfCall, buildUsdtTargets, USDT_OBJ, usdtTargetMissing, type UsdtTargets } from "../fixtures/usdt/target.ts";

const here = import.meta.dirname ?? new URL(".", import.meta.url).pathname;
const noTarget = usdtTargetMissing();
const UP = { feature: { progType: "kprobe" }, config: "CONFIG_UPROBE_EVENTS", skipIf: noTarget } as const;
const COOKIE = { ...UP, feature: [UP.feature, { helper: "get_attach_cookie" }] } as const;

let t: UsdtTargets;
beforeAll(() => {
  if (!noTarget) t = buildUsdtTargets();
});
afterAll(() => t?.remove());

const builds = () => [t.pie, t.o0, t.nopie];

describe("usdtNotes", () => {
  itIf(noTarget ?? toolMissing("readelf", ["--version"], "binutils") ?? undefined, "reads what readelf -n reads: provider, name, location, semaphore, arguments", () => {
    for (const exe of [...builds(), t.lib, t.libMain]) {
      const notes = usdtNotes(ElfFile.parse(new Uint8Array(readFileSync(exe))));
      const text = execFileSync("readelf", ["-n", "--wide", exe], { encoding: "utf8" });
      const want = [...text.matchAll(/Provider: (\S+)\s+Name: (\S+)\s+Location: 0x([0-9a-f]+), Base: 0x[0-9a-f]+, Semaphore: 0x([0-9a-f]+)\s+Arguments: ?(.*)/g)]
        .map((m) => ({ provider: m[1], name: m[2], address: BigInt(`0x${m[3]}`), semaphore: BigInt(`0x${m[4]}`), args: m[5].trim() }));
      expect(want.map((w) => w.name).sort()).toEqual(exe === t.lib ? ["args"] : exe === t.libMain ? ["plain", "twice", "twice"] : ["args", "plain", "twice", "twice"]);
      expect(notes.map(({ provider, name, address, semaphore, args }) => ({ provider, name, address, semaphore, args }))).toEqual(want);
    }
  });

  itIf(noTarget ?? undefined, "file offsets: a nop at each site, the semaphore where its symbol is in the file", () => {
    for (const exe of [...builds(), t.lib, t.libMain]) {
      const bytes = new Uint8Array(readFileSync(exe));
      const elf = ElfFile.parse(bytes);
      for (const n of usdtNotes(elf)) {
        // sys/sdt.h puts a one-byte nop at the site: where the uprobe goes.
        expect(bytes[n.fileOffset], `${exe} ${n.name} at 0x${n.fileOffset.toString(16)}`).toBe(0x90);
        const sym = elf.symbols().find((s) => s.name === `tsbpf_${n.name}_semaphore`)!;
        const sec = elf.sections[sym.shndx];
        expect(n.semaphore).toBe(BigInt(sym.value));
        expect(n.semaphoreOffset).toBe(sym.value - Number(sec.addr) + sec.offset);
      }
    }
    // Non-PIE code sits at 0x400000 and up, yet its file offsets are small.
    const np = usdtNotes(ElfFile.parse(new Uint8Array(readFileSync(t.nopie))));
    expect(np[0].address).toBeGreaterThan(0x400000n);
    expect(np[0].fileOffset).toBeLessThan(0x100000);
  });

  itIf(noTarget ?? undefined, "the builds' arguments are registers, stack slots and a constant, all of which parse", () => {
    const kinds = new Set<number>();
    for (const exe of builds()) {
      for (const n of usdtNotes(ElfFile.parse(new Uint8Array(readFileSync(exe))))) {
        const args = parseUsdtArgs(n.args);
        expect(args.length).toBe({ args: 6, plain: 0, twice: 1 }[n.name]);
        for (const a of args) kinds.add(a.kind);
      }
    }
    expect([...kinds].sort()).toEqual([UsdtArgKind.const, UsdtArgKind.reg, UsdtArgKind.reg_deref]);
  });

  it("a file without .note.stapsdt has no probes", () => {
    expect(usdtNotes(ElfFile.parse(new Uint8Array(readFileSync(new URL("../fixtures/collection/counter.o", import.meta.url).pathname))))).toEqual([]);
  });

  itIf(noTarget ?? undefined, "fuzz: mutated and truncated notes give notes or an ElfError naming an offset, nothing else", () => {
    const bytes = new Uint8Array(readFileSync(t.pie));
    const sec = ElfFile.parse(bytes).section(".note.stapsdt")!;
    const next = xorshift(0x05d7);
    const rand = () => next() / 2 ** 32;
    let errors = 0, parsed = 0;
    for (let i = 0; i < 3000; i++) {
      const b = bytes.slice();
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) {
        const at = sec.offset + Math.floor(rand() * sec.size);
        b[at] = rand() < 0.5 ? Math.floor(rand() * 256) : (rand() < 0.5 ? 0 : 0xff);
      }
      try {
        const notes = usdtNotes(ElfFile.parse(b));
        for (const n of notes) {
          expect(n.fileOffset >= 0 && n.fileOffset < b.length).toBe(true);
          expect(typeof n.args).toBe("string");
        }
        parsed++;
      } catch (e) {
        if (!(e instanceof ElfError)) throw e;
        expect(e.offset, e.message).toBeGreaterThanOrEqual(sec.offset);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(100);
    expect(parsed).toBeGreaterThan(100);
  });
});

describe("USDT argument specs", () => {
  it("parse as libbpf's x86-64 parser does: constants, registers by any width's name, memory at a register", () => {
    expect(parseUsdtArg("-4@%edi")).toEqual({ kind: UsdtArgKind.reg, value: 0n, regOffset: 112, register: "edi", size: 4, signed: true });
    expect(parseUsdtArg("1@%r8b")).toMatchObject({ kind: UsdtArgKind.reg, regOffset: 72, size: 1, signed: false });
    expect(parseUsdtArg("8@%rax")).toMatchObject({ regOffset: 80, size: 8 });
    expect(parseUsdtArg("-2@%cx")).toMatchObject({ regOffset: 88, size: 2, signed: true });
    expect(parseUsdtArg("-4@$42")).toMatchObject({ kind: UsdtArgKind.const, value: 42n, regOffset: 0 });
    expect(parseUsdtArg("8@$-1")).toMatchObject({ kind: UsdtArgKind.const, value: 0xffffffffffffffffn });
    expect(parseUsdtArg("8@$0x10")).toMatchObject({ value: 16n });
    expect(parseUsdtArg("-4@-36(%rbp)")).toMatchObject({ kind: UsdtArgKind.reg_deref, value: BigInt.asUintN(64, -36n), regOffset: 32, size: 4, signed: true });
    expect(parseUsdtArg("8@(%rsp)")).toMatchObject({ kind: UsdtArgKind.reg_deref, value: 0n, regOffset: 152 });
    expect(parseUsdtArg("2@8(%r15)")).toMatchObject({ value: 8n, regOffset: 0, size: 2 });
    expect(parseUsdtArgs("")).toEqual([]);
    expect(parseUsdtArgs(" -4@%edi  8@%rsi ").map((a) => a.register)).toEqual(["edi", "rsi"]);
  });

  it("forms usdt.bpf.h cannot read are RangeErrors that say why", () => {
    expect(() => parseUsdtArg("4@%ah")).toThrow(/high-byte register/);
    expect(() => parseUsdtArg("4@%xmm0")).toThrow(/unknown x86-64 register %xmm0/);
    expect(() => parseUsdtArg("3@%eax")).toThrow(/size 3 is not 1, 2, 4 or 8/);
    expect(() => parseUsdtArg("8@counter(%rip)")).toThrow(/symbol relative to %rip/);
    expect(() => parseUsdtArg("-4@-4(%rbp,%rax,4)")).toThrow(/base-index-scale/);
    expect(() => parseUsdtArg("%eax")).toThrow(/not of the form/);
    expect(() => parseUsdtArg("4@$x")).toThrow(/not an integer/);
    expect(() => parseUsdtArgs(Array(13).fill("8@%rax").join(" "))).toThrow(/at most 12/);
    for (const bad of ["4@%ah", "3@%eax", "x"]) expect(thrown(() => parseUsdtArg(bad), RangeError).message).toContain(JSON.stringify(bad));
  });

  it("aarch64 operands, as GCC writes them: xN and sp, [reg], [reg, off], a bare constant", () => {
    const args = parseUsdtArgs("-8@[sp, 24] -4@x1 -2@x2 -8@[x3, 16] -8@[x29, -8] -4@5 1@[x9] 8@sp -4@-3", "aarch64");
    expect(args.map(({ kind, value, regOffset, register, size, signed }) => [kind, value, regOffset, register, size, signed])).toEqual([
      [UsdtArgKind.reg_deref, 24n, 248, "sp", 8, true],
      [UsdtArgKind.reg, 0n, 8, "x1", 4, true],
      [UsdtArgKind.reg, 0n, 16, "x2", 2, true],
      [UsdtArgKind.reg_deref, 16n, 24, "x3", 8, true],
      [UsdtArgKind.reg_deref, BigInt.asUintN(64, -8n), 232, "x29", 8, true],
      [UsdtArgKind.const, 5n, 0, "", 4, true],
      [UsdtArgKind.reg_deref, 0n, 72, "x9", 1, false],
      [UsdtArgKind.reg, 0n, 248, "sp", 8, false],
      [UsdtArgKind.const, BigInt.asUintN(64, -3n), 0, "", 4, true],
    ]);
    expect(parseUsdtArg("8@x30", "aarch64").regOffset).toBe(240);
    expect(() => parseUsdtArg("-4@[x0, #:lo12:.LANCHOR0]", "aarch64")).toThrow(/is a relocation, not an integer/);
    expect(() => parseUsdtArg("-4@w1", "aarch64")).toThrow(/unknown aarch64 register w1 \(x0..x30 and sp are\)/);
    expect(() => parseUsdtArg("8@x31", "aarch64")).toThrow(/unknown aarch64 register x31/);
    expect(() => parseUsdtArg("8@%rax", "aarch64")).toThrow(/unknown aarch64 operand "%rax"/);
    expect(() => parseUsdtArg("8@x0", "aarch64")).not.toThrow();
    expect(() => parseUsdtArg("8@x0")).toThrow(/unknown operand "x0"/); // x86-64 is the default
    expect(() => parseUsdtArg("8@x0", "riscv" as never)).toThrow(TypeError);
    // A split leaves "[sp, 12]" whole but stops at an unclosed bracket.
    expect(() => parseUsdtArgs("-4@[sp, 12", "aarch64")).toThrow(RangeError);
  });

  it("fuzz: random operand strings on either architecture parse or are RangeErrors naming the argument", () => {
    const next = xorshift(0xa64);
    const pieces = ["-", "4", "8", "1", "@", "%", "$", "(", ")", "[", "]", ", ", ",", "x", "sp", "rax", "rbp", "edi", "29", "0x", "-16", "#:lo12:", " ", "w"];
    let ok = 0, bad = 0;
    for (let i = 0; i < 20000; i++) {
      const n = 1 + (next() % 9);
      let text = "";
      for (let k = 0; k < n; k++) text += pieces[next() % pieces.length];
      if (next() % 2) text = `${["-4@", "8@", "1@"][next() % 3]}${text}`;
      for (const arch of ["x86_64", "aarch64"] as const) {
        try {
          const args = parseUsdtArgs(text, arch);
          for (const a of args) {
            expect([1, 2, 4, 8]).toContain(a.size);
            expect(a.value >= 0n && a.value < 1n << 64n).toBe(true);
          }
          ok++;
        } catch (e) {
          if (!(e instanceof RangeError)) throw e;
          expect(e.message).toMatch(/^USDT (argument "|probe with )/);
          bad++;
        }
      }
    }
    expect(ok).toBeGreaterThan(500);
    expect(bad).toBeGreaterThan(500);
  });

  itIf(toolMissing("clang-19", ["--version"]) ?? toolMissing("readelf", ["--version"], "binutils") ?? undefined, "aarch64 notes clang-19 writes parse, each argument where the C puts it", () => {
    const dir = mkdtempSync(join(tmpdir(), "tsbpf-usdt-a64-"));
    try {
      const obj = join(dir, "a.o");
      execFileSync("clang-19", ["--target=aarch64-linux-gnu", "-ffreestanding", "-idirafter", "/usr/include/x86_64-linux-gnu", "-O2", "-c", "-o", obj, join(here, "../fixtures/usdt/arm64-args.c")]);
      expect(ElfFile.parse(readFileSync(obj)).machine).toBe(183);
      // An object file, not linked (no aarch64 linker here): readelf gives its notes' argument strings.
      const notes = execFileSync("readelf", ["-n", "-W", obj], { encoding: "utf8" }).split("\n").filter((l) => l.includes("Arguments:")).map((l) => l.split("Arguments:")[1].trim());
      expect(notes).toHaveLength(2);
      const [args, more] = notes.map((n) => parseUsdtArgs(n, "aarch64"));
      expect(args.map((a) => [a.size, a.signed])).toEqual([[8, true], [4, true], [2, true], [8, true], [8, true], [4, true]]);
      expect(args[5]).toMatchObject({ kind: UsdtArgKind.const, value: 5n });
      expect(more.map((a) => [a.size, a.signed])).toEqual([[4, true], [1, false], [4, true], [4, true]]);
      expect(more[3]).toMatchObject({ kind: UsdtArgKind.const, value: BigInt.asUintN(64, -7n) });
      for (const a of [...args.slice(0, 5), ...more.slice(0, 3)]) {
        expect(a.kind === UsdtArgKind.const).toBe(false);
        expect(a.regOffset % 8).toBe(0);
        expect(a.regOffset).toBeLessThanOrEqual(248);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("encode as struct __bpf_usdt_spec: 16 bytes an argument, then the cookie and the count", () => {
    const b = encodeUsdtSpec(parseUsdtArgs("-4@-36(%rbp) 1@%r8b"), 0x1122334455667788n);
    expect(b.length).toBe(208);
    const dv = new DataView(b.buffer);
    expect(dv.getBigInt64(0, true)).toBe(-36n);
    expect([dv.getUint32(8, true), dv.getInt16(12, true), b[14], b[15]]).toEqual([UsdtArgKind.reg_deref, 32, 1, 32]);
    expect([dv.getBigUint64(16, true), dv.getUint32(24, true), dv.getInt16(28, true), b[30], b[31]]).toEqual([0n, UsdtArgKind.reg, 72, 0, 56]);
    expect(b.subarray(32, 192).every((x) => x === 0)).toBe(true);
    expect(dv.getBigUint64(192, true)).toBe(0x1122334455667788n);
    expect(dv.getInt16(200, true)).toBe(2);
    expect(() => encodeUsdtSpec([], 0n, new Uint8Array(100))).toThrow(RangeError);
  });
});

it("attachUsdt: bad arguments are TypeErrors and RangeErrors before any syscall", () => {
  const maps = {};
  expect(() => attachUsdt(3, "", "tsbpf", "args", { maps })).toThrow(TypeError);
  expect(() => attachUsdt(3, "/bin/true", "ts bpf", "args", { maps })).toThrow(TypeError);
  expect(() => attachUsdt(3, "/bin/true", "tsbpf", "a:b", { maps })).toThrow(TypeError);
  expect(() => attachUsdt(3, "/bin/true", "tsbpf", "args", undefined as never)).toThrow(/opts.maps/);
  expect(() => attachUsdt(3, "/bin/true", "tsbpf", "args", { maps, pid: -2 })).toThrow(RangeError);
  expect(() => attachUsdt(3, "/bin/true", "tsbpf", "args", { maps })).toThrow(/no map __bpf_usdt_specs/);
  expect(() => attachUsdt(3, "/bin/true", "tsbpf", "args", { maps, cookie: 1.5 })).toThrow(TypeError);
  const specs = { fd: 3, type: 2 /* array */, keySize: 4, valueSize: 208, maxEntries: 256, id: 1 };
  const multiProg = { fd: 3, attachType: AttachType.trace_uprobe_multi };
  expect(() => attachUsdt(multiProg, "/bin/true", "tsbpf", "args", { maps: { __bpf_usdt_specs: specs }, attachType: 0 })).toThrow(/attachType 0 was given, but .* was loaded with attach type 48/);
  expect(() => attachUsdt(3, "/bin/true", "tsbpf", "args", { maps: { __bpf_usdt_specs: specs }, attachType: -1 })).toThrow(RangeError);
});

describePriv("attachUsdt", UP, () => {
  /** Attaches to `exe` limited to a waiting child, runs `n` calls, returns what the program saw. */
  async function once(exe: string, n: number, cookie: bigint, probed = exe) {
    using obj = Collection.load(USDT_OBJ);
    const child = await startWaiting(exe, n);
    let link: UsdtLink;
    try {
      link = attachUsdt(obj.programs.on_args, probed, "tsbpf", "args", { maps: obj.maps, pid: child.pid, cookie });
    } catch (e) {
      await child.go().catch(() => {});
      throw e;
    }
    const enabled = await child.go();
    const v = obj.variables;
    const seen = { enabled, hits: v.hits.get(), argCnt: v.arg_cnt.get(), args: v.args.get(), errors: v.errors.get(), cookie: v.cookie.get(), sites: link.sites.length };
    link.close();
    expect(link.closed).toBe(true);
    run(exe, 3);
    expect(v.hits.get(), "no hits after close").toBe(seen.hits);
    return seen;
  }

  const multi = kernelAtLeast(ATTACH_VERSIONS.uprobe_multi.version);
  itPriv(`a probe at two sites: ${multi ? "one uprobe_multi link (6.6+)" : "a uprobe each (before 6.6)"}, and a uprobe each with usdtUprobeMulti: false; the same reads`, UP, async () => {
    expect(haveUprobeMulti()).toBe(multi);
    for (const usdtUprobeMulti of [undefined, false]) {
      using obj = Collection.load(USDT_OBJ, usdtUprobeMulti === undefined ? {} : { usdtUprobeMulti });
      const byMulti = multi && usdtUprobeMulti !== false;
      expect(obj.programs.on_args.attachType === AttachType.trace_uprobe_multi).toBe(byMulti);
      for (const exe of builds()) {
        const child = await startWaiting(exe, 2);
        const link = attachUsdt(obj.programs.on_args, exe, "tsbpf", "twice", { maps: obj.maps, pid: child.pid, cookie: 9n });
        try {
          expect(link.sites).toHaveLength(2);
          expect(new Set(link.sites.map((s) => s.specId)).size).toBe(2);
          if (byMulti) {
            expect(link.links).toHaveLength(1);
            expect(link.links[0].info()).toMatchObject({ type: "uprobe_multi", count: 2, pid: child.pid, offsets: link.sites.map((s) => BigInt(s.note.fileOffset)),
              refCtrOffsets: link.sites.map((s) => BigInt(s.note.semaphoreOffset)), cookies: link.sites.map((s) => BigInt(s.specId)) });
          } else {
            expect(link.links).toHaveLength(2);
            for (const l of link.links) expect(l).toBeInstanceOf(PerfEventLink);
          }
          const before = obj.variables.hits.get() as bigint;
          await child.go();
          expect((obj.variables.hits.get() as bigint) - before, exe).toBe(2n);
          expect(obj.variables.arg_cnt.get()).toBe(1n);
          expect((obj.variables.args.get() as bigint[])[0], exe).toBe(102n);
          expect(obj.variables.cookie.get()).toBe(9n);
        } finally {
          link.close();
        }
        for (const l of link.links) expect(l.closed).toBe(true);
        const after = obj.variables.hits.get();
        run(exe, 1);
        expect(obj.variables.hits.get()).toBe(after);
      }
    }
    expect(() => Collection.load(USDT_OBJ, { usdtUprobeMulti: 1 as never })).toThrow(TypeError);
  });

  itPriv("a bare fd cannot tell it was loaded for uprobe_multi: attachType says so, and the one link reads as a BpfProgram's does", { ...UP, skipIf: noTarget ?? (multi ? null : `needs uprobe_multi links (Linux ${ATTACH_VERSIONS.uprobe_multi.version}+); the per-site attach is tested above`) }, async () => {
    using obj = Collection.load(USDT_OBJ);
    const prog = obj.programs.on_args;
    expect(prog.attachType).toBe(AttachType.trace_uprobe_multi);
    const child = await startWaiting(t.pie, 2);
    let link: UsdtLink | undefined;
    try {
      // Without it, a uprobe per site: some kernels (6.18) refuse that with a bare EINVAL, which
      // the message explains; newer ones (sid's) run the program there too.
      let perSite: UsdtLink | undefined;
      try {
        perSite = attachUsdt(prog.fd, t.pie, "tsbpf", "twice", { maps: obj.maps, pid: child.pid });
      } catch (e) {
        expect((e as Error).message).toMatch(/EINVAL.*pass attachType: AttachType.trace_uprobe_multi/);
      }
      if (perSite !== undefined) {
        expect(perSite.links).toHaveLength(2);
        for (const l of perSite.links) expect(l).toBeInstanceOf(PerfEventLink);
        perSite.close();
      }
      link = attachUsdt(prog.fd, t.pie, "tsbpf", "twice", { maps: obj.maps, pid: child.pid, cookie: 5n, attachType: AttachType.trace_uprobe_multi });
      expect(link.links).toHaveLength(1);
      expect(link.links[0].info()).toMatchObject({ type: "uprobe_multi", count: 2, pid: child.pid });
    } finally {
      await child.go();
      link?.close();
    }
    expect(obj.variables.hits.get()).toBe(2n);
    expect(obj.variables.cookie.get()).toBe(5n);
  });

  itPriv("reads every argument of every call (registers, stack slots, a constant), the cookie, the semaphore, in each build", UP, async () => {
    for (const exe of builds()) {
      const seen = await once(exe, 5, 0xc0ffee0000000001n);
      expect(seen, exe).toEqual({ enabled: 5, hits: 5n, argCnt: 6n, args: argsOfCall(4), errors: 5n, cookie: 0xc0ffee0000000001n, sites: 1 });
    }
  });

  describe("against libbpf (test/link/usdt-oracle.c: bpf_program__attach_usdt of Debian's libbpf-dev)", () => {
    const why = noTarget ?? libbpfMissing();
    let oracle: LibbpfTool | undefined;
    beforeAll(() => {
      if (!why) oracle = buildLibbpfTool(join(here, "usdt-oracle.c"));
    });
    afterAll(() => oracle?.remove());

    /** The spec bytes of every used spec id and every address -> spec entry, ids replaced by the specs they name. */
    function dump(lines: string[]): { specs: string[]; ips: string[] } {
      const byId = new Map(lines.filter((l) => l.startsWith("spec ")).map((l) => [l.split(" ")[1], l.split(" ")[2]] as const));
      return {
        specs: [...byId.values()].sort(),
        ips: lines.filter((l) => l.startsWith("ip ")).map((l) => `${l.split(" ")[1]} ${byId.get(l.split(" ")[2])}`).sort(),
      };
    }

    function ours(obj: Collection): string[] {
      using specs = BpfMap.fromId(obj.maps.__bpf_usdt_specs.id);
      using ips = BpfMap.fromId(obj.maps.__bpf_usdt_ip_to_spec_id.id);
      const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
      const out = [...specs.entries()].filter(([, v]) => v.some((x: number) => x !== 0)).map(([k, v]) => `spec ${new DataView(k.buffer, k.byteOffset).getUint32(0, true)} ${hex(v)}`);
      for (const [k, v] of ips.entries()) out.push(`ip ${new DataView(k.buffer, k.byteOffset).getBigUint64(0, true).toString(16)} ${new DataView(v.buffer, v.byteOffset).getUint32(0, true)}`);
      return out;
    }

    for (const build of ["pie", "o0", "nopie"] as const) {
      itPriv(`${build}: the same specs (and, without BPF cookies, the same site addresses) as libbpf writes`, { ...UP, skipIf: noTarget ?? why }, async () => {
        const target = t[build];
        const child = await startWaiting(target, 1);
        try {
          const theirs = execFileSync(oracle!.exe, [USDT_OBJ, "on_args", target, "tsbpf", "args", String(child.pid), "0x1234"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().split("\n");
          using obj = Collection.load(USDT_OBJ);
          using _ = attachUsdt(obj.programs.on_args, target, "tsbpf", "args", { maps: obj.maps, pid: child.pid, cookie: 0x1234 });
          const mine = dump(ours(obj)), libbpf = dump(theirs);
          expect(libbpf.specs.length).toBe(1);
          expect(mine).toEqual(libbpf);
        } finally {
          await child.go();
        }
      });
    }
  });

  itPriv("in a shared library, for the one process that maps it", UP, async () => {
    const seen = await once(t.libMain, 3, 7n, t.lib);
    expect(seen).toEqual({ enabled: 3, hits: 3n, argCnt: 6n, args: argsOfCall(2), errors: 3n, cookie: 7n, sites: 1 });
  });

  itPriv("in a shared library for every process (pid -1), found by BPF cookie; named bare, through LD_LIBRARY_PATH", COOKIE, () => {
    using obj = Collection.load(USDT_OBJ);
    using link = withEnv("LD_LIBRARY_PATH", `/nonexistent:${dirname(t.lib)}`, () => attachUsdt(obj.programs.on_args, basename(t.lib), "tsbpf", "args", { maps: obj.maps }));
    expect(link.description).toContain(`in ${t.lib}`);
    run(t.libMain, 4);
    expect(obj.variables.hits.get()).toBe(4n);
    expect(obj.variables.args.get()).toEqual(argsOfCall(3));
  });

  itPriv("in every process (pid -1), found by BPF cookie", COOKIE, () => {
    using obj = Collection.load(USDT_OBJ);
    using link = attachUsdt(obj.programs.on_args, t.pie, "tsbpf", "args", { maps: obj.maps });
    expect(link.sites[0].ip).toBeUndefined();
    run(t.pie, 7);
    expect(obj.variables.hits.get()).toBe(7n);
    expect(obj.variables.args.get()).toEqual(argsOfCall(6));
  });

  itPriv("close frees the specs (and the address entries): 10 attaches in turn through one 4-spec map", UP, async () => {
    using obj = Collection.load(USDT_OBJ);
    expect(obj.maps.__bpf_usdt_specs.maxEntries).toBe(4);
    const child = await startWaiting(t.pie, 2);
    let link: UsdtLink | undefined;
    try {
      for (let i = 0; i < 10; i++) attachUsdt(obj.programs.on_args, t.pie, "tsbpf", "args", { maps: obj.maps, pid: child.pid }).close();
      link = attachUsdt(obj.programs.on_args, t.pie, "tsbpf", "args", { maps: obj.maps, pid: child.pid });
      expect(link.sites[0].specId).toBe(0);
    } finally {
      expect(await child.go()).toBe(link ? 2 : 0);
      link?.close();
    }
    expect(obj.variables.hits.get()).toBe(2n);
  });

  itPriv("with BPF cookies, 4 attaches at once take the 4 specs and a 5th finds the map full", COOKIE, () => {
    using obj = Collection.load(USDT_OBJ);
    const held: UsdtLink[] = [];
    try {
      for (let i = 0; i < 4; i++) held.push(attachUsdt(obj.programs.on_args, i % 2 ? t.pie : t.nopie, "tsbpf", "args", { maps: obj.maps }));
      expect(held.map((l) => l.sites[0].specId).sort()).toEqual([0, 1, 2, 3]);
      const e = thrown(() => attachUsdt(obj.programs.on_args, t.pie, "tsbpf", "args", { maps: obj.maps }), RangeError);
      expect(e.message).toMatch(/holds 4 specs, all in use: raise BPF_USDT_MAX_SPEC_CNT/);
      held.pop()!.close();
      held.push(attachUsdt(obj.programs.on_args, t.pie, "tsbpf", "args", { maps: obj.maps }));
      run(t.pie, 3);
      run(t.nopie, 1);
      // Two links on each build: every call counts twice.
      expect(obj.variables.hits.get()).toBe(8n);
    } finally {
      for (const l of held) l.close();
    }
  });

  itPriv("the object may close first: the link still detaches on close, without an error", UP, () => {
    const obj = Collection.load(USDT_OBJ);
    const link = attachUsdt(obj.programs.on_args, t.nopie, "tsbpf", "args", { maps: obj.maps });
    obj.close();
    link.close();
    expect(link.closed).toBe(true);
    expect(link.links[0].closed).toBe(true);
    expect(() => link.close()).not.toThrow();
    run(t.nopie, 2); // nothing attached any more: nothing to fail
  });

  itPriv("a probe the file lacks names those it has; a program without usdt.bpf.h's maps is a TypeError", UP, () => {
    using obj = Collection.load(USDT_OBJ);
    const e = thrown(() => attachUsdt(obj.programs.on_args, t.pie, "tsbpf", "nope", { maps: obj.maps }), ElfError);
    expect(e.message).toMatch(/no USDT probe tsbpf:nope in .* \(it has tsbpf:args, tsbpf:plain, tsbpf:twice\)/);
    expect(e.message).toMatch(/^attaching program "on_args"/);
    expect(() => attachUsdt(obj.programs.on_args, t.pie, "tsbpf", "args", { maps: { __bpf_usdt_specs: obj.maps.__bpf_usdt_ip_to_spec_id } }))
      .toThrow(/__bpf_usdt_specs is a map of type 1 with 8-byte keys/);
    expect(() => attachUsdt(obj.programs.on_args, "/bin/true", "tsbpf", "args", { maps: obj.maps })).toThrow(/it has no .note.stapsdt probes|no USDT probe/);
    // The same executable claiming another machine: its notes would parse, but its code never runs here.
    const dir = mkdtempSync(join(tmpdir(), "tsbpf-usdt-arch-"));
    try {
      const other = process.arch === "arm64" ? 62 : 183;
      const bytes = readFileSync(t.pie);
      bytes.writeUInt16LE(other, 18);
      writeFileSync(join(dir, "other"), bytes);
      expect(() => attachUsdt(obj.programs.on_args, join(dir, "other"), "tsbpf", "args", { maps: obj.maps }))
        .toThrow(/is an (aarch64|x86_64) executable, and this kernel runs (x86_64|aarch64) code/);
      bytes.writeUInt16LE(243, 18); // EM_RISCV
      writeFileSync(join(dir, "other"), bytes);
      expect(() => attachUsdt(obj.programs.on_args, join(dir, "other"), "tsbpf", "args", { maps: obj.maps })).toThrow(/e_machine 243: USDT arguments parse for/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const NO_COOKIE = { ...UP, skipIf: noTarget ?? (kernelAtLeast("5.15") ? "this kernel has BPF cookies (5.15+)" : undefined) };
  itPriv("without BPF cookies, a PIE in every process is a FeatureError naming 5.15", NO_COOKIE, () => {
    using obj = Collection.load(USDT_OBJ);
    const e = thrown(() => attachUsdt(obj.programs.on_args, t.pie, "tsbpf", "args", { maps: obj.maps }), FeatureError);
    expect(e.message).toMatch(/5\.15/);
  });

  itPriv("without BPF cookies, a site attached twice through one object is refused until the first link closes", NO_COOKIE, () => {
    using obj = Collection.load(USDT_OBJ);
    // A non-PIE executable's sites have one address in every process: pid -1 works without cookies.
    const first = attachUsdt(obj.programs.on_args, t.nopie, "tsbpf", "args", { maps: obj.maps });
    expect(first.sites[0].ip).toBe(first.sites[0].note.address);
    const e = bpfError(() => attachUsdt(obj.programs.on_args, t.nopie, "tsbpf", "args", { maps: obj.maps }));
    expect(e.message).toMatch(/EEXIST.*site 0x[0-9a-f]+ is already attached through this object/);
    first.close();
    using _again = attachUsdt(obj.programs.on_args, t.nopie, "tsbpf", "args", { maps: obj.maps });
    run(t.nopie, 4);
    expect(obj.variables.hits.get()).toBe(4n);
    expect(obj.variables.args.get()).toEqual(argsOfCall(3));
  });
});

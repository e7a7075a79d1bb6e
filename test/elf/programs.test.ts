// Program specs of the clang fixtures progs.bpf.c and progs-opt.bpf.c in both byte orders: hard
// facts from the C sources (programs, subprogram order, references, .BTF.ext records), the
// linked code against the system's libbpf (test/elf/progs-oracle.c, its loader generator links
// without a kernel), the relocations against llvm-objdump-19 -dr, and hand-made flaws that must
// be ElfErrors naming the section and offset.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Btf, parseBtfExt } from "../../src/btf/mod.ts";
import { ElfError, ElfFile, type ElfMapSpec, type ElfProgramSpec, mapSpecs, objectNameFromPath, programSpecs } from "../../src/elf/mod.ts";
import { externSpecs } from "../../src/elf/externs.ts";
import { ProgType } from "../../src/uapi/enums.gen.ts";
import { buildLibbpfTool, itIf, type LibbpfTool, libbpfMissing, toolMissing } from "../helpers/tools.ts";

const here = import.meta.dirname ?? new URL(".", import.meta.url).pathname;
const dir = join(here, "..", "fixtures", "elf");
const path = (name: string) => join(dir, name);
const fixture = (name: string) => new Uint8Array(readFileSync(path(name)));
const noObjdump = toolMissing("llvm-objdump-19", ["--version"], "llvm-19");

interface Parsed {
  elf: ElfFile;
  btf: Btf;
  maps: ElfMapSpec[];
  progs: ElfProgramSpec[];
}

function parse(bytes: Uint8Array, objectName: string, maps?: ElfMapSpec[]): Parsed {
  const elf = ElfFile.parse(bytes);
  const btf = Btf.parse(elf.data(elf.section(".BTF")!));
  const ext = parseBtfExt(elf.data(elf.section(".BTF.ext")!), btf);
  const all = maps ?? mapSpecs(elf, btf, { objectName });
  return { elf, btf, maps: all, progs: programSpecs(elf, { btf, ext, maps: all }) };
}
const load = (file: string, maps?: ElfMapSpec[]) => parse(fixture(file), objectNameFromPath(file), maps);
const prog = (p: Parsed, name: string): ElfProgramSpec => {
  const s = p.progs.find((x) => x.name === name);
  if (!s) throw new Error(`no program ${name}`);
  return s;
};

// Host-order instruction fields.
const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function insn(b: Uint8Array, i: number) {
  const dv = new DataView(b.buffer, b.byteOffset + i * 8, 8);
  const r = b[i * 8 + 1];
  return { code: b[i * 8], dst: le ? r & 15 : r >> 4, src: le ? r >> 4 : r & 15, off: dv.getInt16(2, le), imm: dv.getInt32(4, le) };
}

/** Where each part of a program starts: func_info has one record per part, in append order. */
function partStarts(p: Parsed, s: ElfProgramSpec): Map<string, number> {
  expect(s.funcInfo.map((f) => p.btf.typeById(f.typeId).name)).toEqual([s.name, ...s.subprograms]);
  return new Map(s.funcInfo.map((f, k) => [k === 0 ? s.name : s.subprograms[k - 1], f.insn]));
}

describe("programSpecs", () => {
  for (const order of ["el", "eb"]) {
    const file = `progs.${order}.o`, opt = `progs-opt.${order}.o`;
    const p = load(file);

    it(`${file}: entry programs in section then offset order, typed by SEC()`, () => {
      expect(p.progs.map((s) => [s.name, s.section, s.type, s.attachType, s.flags, s.attachTo, s.autoload])).toEqual([
        ["sock_a", "socket", ProgType.socket_filter, 0, 0, "", true],
        ["sock_b", "socket", ProgType.socket_filter, 0, 0, "", true],
        ["sock_c", "socket", ProgType.socket_filter, 0, 0, "", true],
        ["kp", "kprobe/do_nanosleep", ProgType.kprobe, 0, 0, "do_nanosleep", true],
        ["sleepy", "uprobe.s", ProgType.kprobe, 0, 16, "", true],
      ]);
    });

    it(`${file}: subprograms appended depth first, each once, in the order the calls reach them`, () => {
      expect(p.progs.map((s) => [s.name, s.subprograms])).toEqual([
        ["sock_a", ["leaf", "mid"]],
        ["sock_b", ["loop_cb", "leaf", "mid", "global_fn"]],
        ["sock_c", []],
        ["kp", ["pid_of_current"]],
        ["sleepy", ["loop_cb", "leaf", "global_fn", "mid", "pid_of_current"]],
      ]);
    });

    it(`${file}: every bpf-to-bpf call and callback address lands on the start of an appended copy`, () => {
      const calls: Record<string, [number, string][]> = {};
      for (const s of p.progs) {
        const starts = partStarts(p, s);
        const at = new Map([...starts].map(([n, i]) => [i, n]));
        const refs = new Set(s.references.map((r) => r.insn));
        const list: [number, string][] = [];
        for (let i = 0; i < s.insns.length / 8; i++) {
          const x = insn(s.insns, i);
          const call = x.code === 0x85 && x.src === 1 && !refs.has(i), func = x.code === 0x18 && x.src === 4;
          if (!call && !func) continue;
          const target = at.get(i + x.imm + 1);
          expect(target, `${s.name} insns[${i}] -> ${i + x.imm + 1}`).toBeDefined();
          list.push([i, `${func ? "&" : ""}${target}`]);
        }
        calls[s.name] = list;
      }
      // sock_a is 31 instructions; leaf (16) is appended at 31, then mid at 47, whose second
      // instruction calls leaf.
      expect(calls.sock_a).toEqual([[21, "leaf"], [24, "mid"], [48, "leaf"]]);
      expect(calls.sock_b.map(([, t]) => t)).toEqual(["&loop_cb", "mid", "global_fn", "leaf", "leaf", "mid"]);
      expect(calls.sleepy.map(([, t]) => t)).toEqual(["&loop_cb", "global_fn", "pid_of_current", "leaf", "mid", "leaf"]);
      expect(calls.kp.map(([, t]) => t)).toEqual(["pid_of_current"]);
      expect(calls.sock_c).toEqual([]);
    });

    it(`${file}: map, global data, kconfig, ksym and kfunc references`, () => {
      const short = (s: ElfProgramSpec) => s.references.map((r) =>
        r.kind === "map" ? `map ${r.map}` : r.kind === "mapValue" ? `${r.map}+${r.offset}` : `${r.kind} ${r.name}${r.weak ? " weak" : ""}${"typeId" in r ? (r.typeId ? " typed" : " typeless") : ""}`
      );
      // .data: data_g (global, 8 bytes) at 0, then the statics data_a at 8 and data_b at 12;
      // .rodata: ro_a at 0, ro_b at 4; .bss: bss_b at 0, bss_a at 8.
      expect(short(prog(p, "sock_a"))).toEqual([
        "map seen", "progs.data+8", "progs.data+12", "progs.rodata+0", // sock_a
        "map counts", "progs.data+12", // leaf
        "progs.rodata+4", // mid
      ]);
      expect(short(prog(p, "sock_b"))).toEqual(["progs.bss+8", "progs.data+0", "map counts", "progs.data+12", "progs.rodata+4", "progs.bss+0"]);
      expect(short(prog(p, "sock_c"))).toEqual(["progs.rodata+4", "progs.bss+0"]);
      expect(short(prog(p, "kp"))).toEqual([
        "kconfig LINUX_KERNEL_VERSION", "kconfig CONFIG_HZ weak", "kconfig CONFIG_BPF_SYSCALL",
        "ksym schedule typeless", "kfunc bpf_rcu_read_lock typed", "kfunc bpf_rcu_read_unlock typed",
        "ksym bpf_tsbpf_absent_kfunc weak typed", "kfunc bpf_tsbpf_absent_kfunc weak typed", "map counts",
      ]);
      for (const s of p.progs) {
        for (const r of s.references) {
          const x = insn(s.insns, r.insn);
          expect(x.code, `${s.name} insns[${r.insn}]`).toBe(r.kind === "kfunc" ? 0x85 : 0x18);
          if (r.kind === "kfunc" || r.kind === "ksym") {
            if (r.typeId) expect([p.btf.typeById(r.typeId).kind, p.btf.typeById(r.typeId).name]).toEqual(["func", r.name]);
          }
        }
        expect(s.references.map((r) => r.insn)).toEqual(s.references.map((r) => r.insn).sort((a, b) => a - b));
      }
      // Offsets are the symbols' st_value (plus clang's imm) as libbpf adds them.
      const value = (n: string) => p.elf.symbols().find((s) => s.name === n)!.value;
      expect([value("data_g"), value("data_a"), value("data_b"), value("ro_b"), value("bss_a")]).toEqual([0, 8, 12, 4, 8]);
    });

    it(`${file}: func_info, line_info and CO-RE records rebased onto each appended copy`, () => {
      const elf = p.elf, btf = p.btf;
      const ext = parseBtfExt(elf.data(elf.section(".BTF.ext")!), btf);
      for (const s of p.progs) {
        const starts = partStarts(p, s);
        expect(s.funcInfo[0].insn).toBe(0);
        // Each part keeps exactly its function's line records, moved by the same distance.
        const fns = new Map(elf.symbols().filter((y) => y.type === 2).map((y) => [y.name, y]));
        let expected = 0;
        for (const [name, at] of starts) {
          const sym = fns.get(name)!;
          const sec = elf.sections[sym.shndx].name;
          const recs = ext.lineInfo.get(sec)!.filter((r) => r.insnOff >= sym.value && r.insnOff < sym.value + sym.size);
          const mine = s.lineInfo.filter((l) => l.insn >= at && l.insn < at + sym.size / 8);
          expect(mine.map((l) => [l.insn - at, l.lineCol, l.fileNameOff])).toEqual(recs.map((r) => [(r.insnOff - sym.value) / 8, r.lineCol, r.fileNameOff]));
          expect(mine[0].insn).toBe(at);
          expected += recs.length;
        }
        expect(s.lineInfo.length).toBe(expected);
      }
      for (const name of ["kp", "sleepy"]) {
        const s = prog(p, name);
        const at = partStarts(p, s).get("pid_of_current")!;
        expect(s.coreRelos.map((c) => [c.insn - at, c.kind, c.access, btf.typeById(c.typeId).name])).toEqual([[1, 0, "0:1", "task_struct"]]);
        // The relocated instruction is the offset of t->tgid: r1 = 4.
        expect(insn(s.insns, s.coreRelos[0].insn)).toMatchObject({ code: 0xb7, dst: 1, imm: 4 });
      }
      for (const s of p.progs.filter((x) => !["kp", "sleepy"].includes(x.name))) expect(s.coreRelos).toEqual([]);
    });

    const o = load(opt);
    it(`${opt}: a '?' section is not autoloaded, a typed ksym names its VAR, an exception callback comes last`, () => {
      expect(o.progs.map((s) => [s.name, s.section, s.autoload, s.subprograms])).toEqual([
        ["opt_off", "?socket", false, ["active_count", "count"]],
        ["opt_on", "socket", true, ["count", "opt_exc_cb"]],
      ]);
      const ksyms = prog(o, "opt_off").references.filter((r) => r.kind === "ksym");
      expect(ksyms.length).toBe(2);
      for (const r of ksyms) {
        expect(r).toMatchObject({ name: "bpf_prog_active", weak: true });
        const t = o.btf.typeById(r.kind === "ksym" ? r.typeId : 0);
        expect([t.kind, t.name]).toEqual(["var", "bpf_prog_active"]);
      }
      // Nothing calls the callback: it is appended after the walk, as libbpf 1.3+ does.
      const on = prog(o, "opt_on");
      expect(partStarts(o, on).get("opt_exc_cb")).toBe(on.insns.length / 8 - 3);
    });

    it(`${file}, ${opt}: the same specs as the other byte order`, () => {
      const other = order === "el" ? "eb" : "el";
      expect(load(`progs.${other}.o`).progs).toEqual(p.progs);
      expect(load(`progs-opt.${other}.o`).progs).toEqual(o.progs);
    });

    itIf(noObjdump, `${file}: every relocation llvm-objdump-19 -dr lists is a reference or a linked call`, () => {
      const text = execFileSync("llvm-objdump-19", ["-dr", "--no-show-raw-insn", path(file)], { encoding: "utf8" });
      // Per section: function offsets, and relocations as [insn in section, symbol].
      const fnAt = new Map<string, { section: string; insn: number }>();
      const relocs = new Map<string, [number, string][]>();
      let section = "";
      for (const line of text.split("\n")) {
        let m = /^Disassembly of section (.*):$/.exec(line);
        if (m) {
          section = m[1];
          relocs.set(section, []);
          continue;
        }
        m = /^([0-9a-f]{16}) <(\w+)>:$/.exec(line);
        if (m) fnAt.set(m[2], { section, insn: parseInt(m[1], 16) / 8 });
        m = /^\s+([0-9a-f]{16}):\s+R_BPF_64_(?:64|32)\s+(\S+)$/.exec(line);
        if (m) relocs.get(section)!.push([parseInt(m[1], 16) / 8, m[2]]);
      }
      const externs = new Set(["LINUX_KERNEL_VERSION", "CONFIG_HZ", "CONFIG_BPF_SYSCALL", "schedule", "bpf_rcu_read_lock", "bpf_rcu_read_unlock", "bpf_tsbpf_absent_kfunc"]);
      let checked = 0;
      for (const s of p.progs) {
        const starts = partStarts(p, s);
        const refs = new Map(s.references.map((r) => [r.insn, r]));
        for (const [name, at] of starts) {
          const f = fnAt.get(name)!;
          const size = (p.elf.symbols().find((y) => y.name === name)!.size) / 8;
          for (const [i, sym] of relocs.get(f.section)!) {
            if (i < f.insn || i >= f.insn + size) continue;
            const k = at + i - f.insn, ref = refs.get(k), x = insn(s.insns, k);
            if (sym === ".text" || sym === "global_fn") expect(ref === undefined && (x.src === 1 || x.src === 4), `${s.name} ${name} insns[${k}] ${sym}`).toBe(true);
            else if (externs.has(sym)) expect(ref && "name" in ref ? ref.name : undefined).toBe(sym);
            else if (sym === "counts" || sym === "seen") expect(ref).toEqual({ kind: "map", insn: k, map: sym });
            else expect(ref?.kind, `${s.name} insns[${k}] ${sym}`).toBe("mapValue");
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThan(30);
    });
  }

  describe("against the system's libbpf (loader generator, no kernel)", () => {
    const why = libbpfMissing();
    let oracle: LibbpfTool | undefined;
    beforeAll(() => {
      if (!why) oracle = buildLibbpfTool(join(here, "progs-oracle.c"));
    });
    afterAll(() => oracle?.remove());

    // libbpf 1.1 reads little-endian objects only; the eb specs equal the el ones (tested above).
    for (const file of ["progs.el.o", "progs-opt.el.o"]) {
      itIf(why, `${file}: the same linked instructions, references aside, as libbpf's`, () => {
        const out = execFileSync(oracle!.exe, [path(file)], { encoding: "utf8" }).trim().split("\n");
        const [major, minor] = out[0].split(" ")[1].split(".").map(Number);
        const mapNames = out.filter((l) => l.startsWith("map ")).map((l) => l.split(" ")[2]);
        const progs: { name: string; section: string; type: number; attach: number; autoload: number; insns: Uint8Array }[] = [];
        for (let i = 0; i < out.length; i++) {
          if (!out[i].startsWith("prog ")) continue;
          const [, name, section, type, attach, autoload] = out[i].split(" ");
          progs.push({ name, section, type: +type, attach: +attach, autoload: +autoload, insns: new Uint8Array(Buffer.from(out[++i], "hex")) });
        }
        const p = load(file);
        const elf = p.elf;
        const kconfig = new Map(externSpecs(elf, p.btf).filter((e) => e.kconfig).map((e) => [e.name, e.kconfig!.offset]));
        // libbpf's maps: ours, then .kconfig when there are kconfig externs. (Names aside: the two
        // disagree on how much of the object name a .bss/.data map keeps.)
        expect(mapNames.length).toBe(p.maps.length + (kconfig.size ? 1 : 0));
        const mapIndex = (name: string) => p.maps.findIndex((m) => m.name === name);
        // libbpf lists .text functions too; they are not entry programs.
        expect(progs.filter((x) => x.section !== ".text").map((x) => [x.name, x.section, x.type, x.attach, x.autoload === 1]))
          .toEqual(p.progs.map((s) => [s.name, s.section.replace(/^\?/, ""), s.type, s.attachType, s.autoload]));
        for (const s of p.progs) {
          const theirs = progs.find((x) => x.name === s.name)!.insns;
          let mine = s.insns;
          // libbpf before 1.3 does not append exception callbacks.
          if (major === 1 && minor < 3 && s.name === "opt_on") mine = mine.subarray(0, mine.length - 3 * 8);
          expect(theirs.length, s.name).toBe(mine.length);
          const patched = new Set<number>();
          for (const r of s.references) {
            const t = insn(theirs, r.insn), t1 = insn(theirs, r.insn + 1);
            const what = `${s.name} insns[${r.insn}] ${r.kind}`;
            if (r.kind === "map") expect([t.src, t.imm], what).toEqual([5, mapIndex(r.map)]); // BPF_PSEUDO_MAP_IDX
            else if (r.kind === "mapValue") expect([t.src, t.imm, t1.imm], what).toEqual([6, mapIndex(r.map), r.offset]); // BPF_PSEUDO_MAP_IDX_VALUE
            else if (r.kind === "kconfig") expect([t.src, t.imm, t1.imm], what).toEqual([6, p.maps.length, kconfig.get(r.name)]);
            else if (r.kind === "kfunc") expect(t.src, what).toBe(2); // BPF_PSEUDO_KFUNC_CALL
            else expect(t.src, what).toBe(r.typeId ? 3 : 0); // BPF_PSEUDO_BTF_ID, or an address
            patched.add(r.insn);
            if (r.kind !== "kfunc") patched.add(r.insn + 1);
          }
          for (let i = 0; i < mine.length / 8; i++) {
            if (patched.has(i)) continue;
            expect(Buffer.from(mine.subarray(i * 8, i * 8 + 8)).toString("hex"), `${s.name} insns[${i}]`).toBe(Buffer.from(theirs.subarray(i * 8, i * 8 + 8)).toString("hex"));
          }
        }
      });
    }
  });

  describe("flaws are ElfErrors naming the section and offset", () => {
    for (const order of ["el", "eb"]) {
      const file = `progs.${order}.o`;
      const little = order === "el";
      const base = fixture(file);
      const elf = ElfFile.parse(base);
      const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
      const sec = (name: string) => elf.section(name)!;
      const symIndex = (name: string) => elf.symbols().findIndex((s) => s.name === name);
      const symAt = (i: number) => sec(".symtab").offset + i * 24;
      const mutant = (f: (b: Uint8Array, v: DataView) => void) => {
        const b = base.slice();
        f(b, dv(b));
        return () => parse(b, "progs");
      };
      // Relocation #i of section `rel`: r_offset at +0, r_info at +8 (symbol in the high half).
      const relAt = (rel: string, i: number) => sec(rel).offset + i * 16;
      const setRelSym = (v: DataView, at: number, sym: number) => v.setUint32(little ? at + 12 : at + 8, sym, little);

      it(`${file}: a relocation at an unaligned offset`, () => {
        const bad = mutant((_, v) => v.setBigUint64(relAt(".relsocket", 0), v.getBigUint64(relAt(".relsocket", 0), little) + 4n, little));
        expect(bad).toThrow(ElfError);
        expect(bad).toThrow(/relocation #0 of \.relsocket at offset 68 is not at an instruction .*\(at section \d+ \(socket\), offset \d+\)/);
      });

      it(`${file}: a relocation of an instruction that is neither a call nor an ld_imm64`, () => {
        // The ld_imm64 of `seen` is insns[8] of sock_a; insns[7] is r3 += -8.
        const bad = mutant((_, v) => v.setBigUint64(relAt(".relsocket", 0), 7n * 8n, little));
        expect(bad).toThrow(/program "sock_a": relocation against "seen" at insns\[7\]: instruction code 0x7 is neither a call nor an ld_imm64 \(at section \d+ \(socket\), offset \d+\)/);
      });

      it(`${file}: a call to an undefined symbol`, () => {
        // global_fn moved to SHN_UNDEF: a function symbol, so no extern, and sock_b calls it.
        const bad = mutant((_, v) => v.setUint16(symAt(symIndex("global_fn")) + 6, 0, little));
        expect(bad).toThrow(/program "sock_b": relocation against "global_fn" at insns\[20\]: a call into section "": bpf-to-bpf calls must go to \.text \(at section \d+ \(socket\), offset \d+\)/);
        // A call pointed at an extern variable of .kconfig instead.
        const kc = mutant((_, v) => {
          const rels = elf.relocations(sec(".relsocket"));
          const i = rels.findIndex((r) => elf.symbols()[r.symbol].name === "global_fn");
          setRelSym(v, relAt(".relsocket", i), symIndex("LINUX_KERNEL_VERSION"));
        });
        expect(kc).toThrow(/relocation against "LINUX_KERNEL_VERSION" at insns\[20\]: a call of a \.kconfig variable/);
      });

      it(`${file}: a call whose target is in no .text function`, () => {
        // global_fn's first instruction is a call of mid resolved by the assembler (no relocation).
        const bad = mutant((b, v) => v.setInt32(sec(".text").offset + 4, 1000, little));
        expect(bad).toThrow(/program "sock_b": subprogram "global_fn", insns\[0\]: the call target, instruction 1001 of \.text, is in no \.text function \(at section \d+ \(\.text\), offset \d+\)/);
      });

      it(`${file}: a reference to a missing map`, () => {
        const all = mapSpecs(elf, Btf.parse(elf.data(sec(".BTF"))), { objectName: "progs" });
        expect(() => parse(base, "progs", all.filter((m) => m.name !== "counts"))).toThrow(/program "leaf": relocation against "counts" at insns\[5\]: no map in section "\.maps" at offset \d+ \(at section \d+ \(\.text\)/);
        expect(() => parse(base, "progs", all.filter((m) => m.name !== "progs.data"))).toThrow(/no global-data map for section "\.data"/);
      });

      it(`${file}: a static function outside .text, externs without BTF`, () => {
        const bad = mutant((b) => {
          b[symAt(symIndex("sock_a")) + 4] &= 0x0f; // STB_LOCAL
        });
        expect(bad).toThrow(/program "sock_a" is static: libbpf supports static functions only in \.text \(at section \d+ \(socket\), offset \d+\)/);
        expect(() => programSpecs(elf)).toThrow(/extern "LINUX_KERNEL_VERSION" needs the object's BTF/);
      });
    }
  });
});

/**
 * Program specs of a BPF ELF object: every function of an executable section other than `.text`
 * is an entry program, typed by its section's SEC() name, linked with the `.text` subprograms it
 * reaches in libbpf's order, its relocations turned into symbolic references and its .BTF.ext
 * records rebased. Pure: what libbpf's bpf_object__open and the linking half of
 * bpf_object__relocate do, without a kernel.
 * @module
 */
import type { ElfFile } from "./file.ts";
import { type ElfExternSpec, externSpecs } from "./externs.ts";
import { collectFunctions } from "./functions.ts";
import { exceptionCallback, exceptionTags } from "./exception-cb.ts";
import { programExtInfo } from "./ext-info.ts";
import { mapSpecs } from "./maps.ts";
import { collectRelocs, type ProgReloc } from "./prog-relocs.ts";
import type { ElfProgramSpec, ElfReference, ProgramSpecsOptions } from "./program-spec.ts";
import { sectionProgramType } from "./section-type.ts";
import { linkProgram } from "./subprogs.ts";
import { Pseudo, ProgLoadFlags } from "../uapi/flags.gen.ts";

function reference(r: ProgReloc, insn: number): ElfReference | undefined {
  switch (r.type) {
    case "map":
      return { kind: "map", insn, map: r.map };
    case "data":
      return { kind: "mapValue", insn, map: r.map, offset: r.offset };
    case "externLd": {
      const e = r.ext;
      if (e.kind === "kconfig") return { kind: "kconfig", insn, name: e.name, weak: e.weak };
      // Typed when the VAR's type is not void (libbpf's ksym.type_id); a kfunc's address is typed too.
      return { kind: "ksym", insn, name: e.name, weak: e.weak, typeId: e.typeId !== 0 ? e.btfId : 0 };
    }
    case "externCall":
      return { kind: "kfunc", insn, name: r.ext.name, weak: r.ext.weak, typeId: r.ext.btfId };
    default:
      return undefined; // calls and callback addresses are linked, not referenced
  }
}

/**
 * The entry programs of `elf`, in libbpf's order (section index, then offset). Malformed code,
 * symbols or relocations are an ElfError naming the section and file offset; malformed BTF a
 * BtfError.
 */
export function programSpecs(elf: ElfFile, options: ProgramSpecsOptions = {}): ElfProgramSpec[] {
  const { btf, ext } = options;
  const code = collectFunctions(elf);
  const externs: readonly ElfExternSpec[] = options.externs ?? externSpecs(elf, btf);
  const maps = options.maps ?? mapSpecs(elf, btf, { objectName: options.objectName ?? "" });
  collectRelocs(elf, { code, maps, externs: new Map(externs.map((e) => [e.name, e])) });
  // libbpf marks callback loads BPF_PSEUDO_FUNC before linking (clang leaves src_reg 0), on the
  // functions' own code, so every appended copy carries the mark.
  for (const fn of code.functions) for (const r of fn.relocs) if (r.type === "subprogAddr") fn.insns.setSrc(r.insn, Pseudo.func);
  const tags = exceptionTags(btf);
  const out: ElfProgramSpec[] = [];
  for (const fn of code.functions) {
    if (fn.section === code.text) continue;
    const linked = linkProgram(code, fn, exceptionCallback(btf, tags, code, fn));
    const references: ElfReference[] = [];
    for (const part of linked.parts) {
      for (const r of part.fn.relocs) {
        const ref = reference(r, part.at + r.insn);
        if (ref !== undefined) references.push(ref);
      }
    }
    const sec = sectionProgramType(fn.section.name);
    let flags = 0;
    if (sec?.sleepable) flags |= ProgLoadFlags.sleepable;
    if (sec?.xdpFrags) flags |= ProgLoadFlags.xdp_has_frags;
    out.push({
      name: fn.name,
      section: fn.section.name,
      type: sec?.type ?? 0,
      attachType: sec?.expectedAttachType ?? 0,
      flags,
      attachTo: sec?.attachTarget ?? "",
      autoload: !fn.section.name.startsWith("?"),
      insns: linked.insns,
      references,
      ...programExtInfo(ext, linked.parts),
      subprograms: linked.parts.slice(1).map((p) => p.fn.name),
    });
  }
  return out;
}

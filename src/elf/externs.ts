/**
 * The externs of a BPF object (libbpf's bpf_object__collect_externs): undefined global or weak
 * symbols whose BTF VAR or FUNC sits in the `.kconfig` or `.ksyms` DATASEC. Kconfig externs get
 * their place in the `.kconfig` map here, in libbpf's order, so that the map and every
 * instruction that reads it agree; ksyms and kfuncs are resolved against the kernel at load.
 * @module
 */
import type { Btf } from "../btf/btf.ts";
import type { AnyBtfType, BtfDatasecType, BtfFuncType, BtfVarType } from "../btf/types.ts";
import { ElfError } from "./error.ts";
import type { ElfFile } from "./file.ts";
import { SectionIndex, SymbolBind, SymbolType } from "./constants.ts";

/** How a kconfig extern's value is stored (libbpf's enum kcfg_type). */
export type KconfigType = "char" | "bool" | "int" | "tristate" | "chars";

/** One extern the object declares. */
export interface ElfExternSpec {
  /** The symbol's name (with any `___flavour` suffix). */
  name: string;
  /** The name without its `___flavour` suffix: what is looked up in the kernel. */
  essentialName: string;
  /** `.kconfig` variable, `.ksyms` variable, or `.ksyms` function (a kfunc). */
  kind: "kconfig" | "ksym" | "kfunc";
  /** STB_WEAK: unresolved, it becomes 0 (a weak kfunc call is poisoned) instead of an error. */
  weak: boolean;
  /** The VAR's or FUNC's BTF id in the object's BTF. */
  btfId: number;
  /** ksym: the variable's type with modifiers and typedefs skipped, 0 for a typeless `void` ksym; kfunc: its FUNC_PROTO. */
  typeId: number;
  /** kconfig only: the value's size, alignment, byte offset in the `.kconfig` map, storage and signedness. */
  kconfig?: { size: number; align: number; offset: number; type: KconfigType; signed: boolean };
}

/** libbpf's bpf_core_essential_name_len: cut at the last `___` that has a non-`_` on each side. */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== "_" && name[i + 1] === "_" && name[i + 2] === "_" && name[i + 3] === "_" && name[i + 4] !== "_") return name.slice(0, i + 1);
  }
  return name;
}

function skipModsAndTypedefs(btf: Btf, id: number): AnyBtfType {
  for (let depth = 0; depth < 32; depth++) {
    const t = btf.typeById(id);
    if (t.kind !== "typedef" && t.kind !== "const" && t.kind !== "volatile" && t.kind !== "restrict" && t.kind !== "type_tag") return t;
    id = t.type;
  }
  return btf.typeById(id);
}

function kconfigType(btf: Btf, id: number): { type: KconfigType; signed: boolean } | undefined {
  const t = skipModsAndTypedefs(btf, id);
  switch (t.kind) {
    case "int":
      if (t.encoding & 4) return t.size === 1 ? { type: "bool", signed: false } : undefined;
      if (t.size === 1) return { type: "char", signed: (t.encoding & 1) !== 0 };
      if (t.size < 1 || t.size > 8 || (t.size & (t.size - 1)) !== 0) return undefined;
      return { type: "int", signed: (t.encoding & 1) !== 0 };
    case "enum":
    case "enum64":
      return t.name === "libbpf_tristate" && (t.kind === "enum64" || t.size === 4) ? { type: "tristate", signed: false } : undefined;
    case "array":
      return t.nelems > 0 && kconfigType(btf, t.type)?.type === "char" ? { type: "chars", signed: false } : undefined;
    default:
      return undefined;
  }
}

const KIND_ORDER = { kconfig: 0, ksym: 1, kfunc: 1 } as const;

/**
 * Every extern of `elf`, sorted as libbpf sorts them: kconfig first (alignment descending, size
 * ascending, then name), then ksyms and kfuncs by name; kconfig offsets laid out in that order.
 * An extern without BTF, in another section, or of a type kconfig cannot hold is an ElfError.
 */
export function externSpecs(elf: ElfFile, btf: Btf | undefined): ElfExternSpec[] {
  const out: ElfExternSpec[] = [];
  const sym = elf.symbols();
  const isExtern = (s: (typeof sym)[number]) =>
    s.shndx === SectionIndex.undef && (s.bind === SymbolBind.global || s.bind === SymbolBind.weak) && s.type === SymbolType.notype && s.name !== "";
  const externs = sym.filter(isExtern);
  if (externs.length === 0) return out;
  if (btf === undefined) throw new ElfError(`extern ${JSON.stringify(externs[0].name)} needs the object's BTF (.BTF), which it lacks`);
  // Which DATASEC holds each VAR or FUNC.
  const secOf = new Map<number, string>();
  for (const t of btf.types()) if (t.kind === "datasec") for (const v of (t as BtfDatasecType).vars) secOf.set(v.type, t.name);
  for (const s of externs) {
    const ids = btf.findIds(s.name).filter((id) => {
      const k = btf.typeById(id).kind;
      return k === "var" || k === "func";
    });
    if (ids.length === 0) throw new ElfError(`extern ${JSON.stringify(s.name)} has no BTF VAR or FUNC`);
    const t = btf.typeById(ids[0]) as BtfVarType | BtfFuncType;
    if (t.kind === "var" && t.linkage !== 2) throw new ElfError(`extern ${JSON.stringify(s.name)}: its BTF VAR [${t.id}] is not extern (linkage ${t.linkage})`);
    if (t.kind === "func" && t.linkage !== 2) throw new ElfError(`extern ${JSON.stringify(s.name)}: its BTF FUNC [${t.id}] is not extern (linkage ${t.linkage})`);
    const sec = secOf.get(t.id);
    const weak = s.bind === SymbolBind.weak;
    const base = { name: s.name, essentialName: essentialName(s.name), weak, btfId: t.id };
    if (sec === ".kconfig") {
      if (t.kind !== "var") throw new ElfError(`extern function ${JSON.stringify(s.name)} cannot be in .kconfig`);
      const kt = kconfigType(btf, t.type);
      if (kt === undefined) throw new ElfError(`extern (kconfig) ${JSON.stringify(s.name)}: its type ${btf.typeById(t.type).kind} is not bool, char, an int of 1-8 bytes, enum libbpf_tristate or a char array`);
      out.push({ ...base, kind: "kconfig", typeId: t.type, kconfig: { size: btf.sizeof(t.type), align: btf.alignof(t.type), offset: 0, ...kt } });
    } else if (sec === ".ksyms") {
      const target = t.kind === "var" ? skipModsAndTypedefs(btf, t.type) : btf.typeById(t.type);
      out.push({ ...base, kind: t.kind === "var" ? "ksym" : "kfunc", typeId: target.kind === "void" ? 0 : target.id });
    } else {
      throw new ElfError(`extern ${JSON.stringify(s.name)} is in ${sec === undefined ? "no DATASEC" : `DATASEC ${JSON.stringify(sec)}`}: only .kconfig and .ksyms externs are supported`);
    }
  }
  out.sort((a, b) => {
    if (KIND_ORDER[a.kind] !== KIND_ORDER[b.kind]) return KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
    if (a.kconfig && b.kconfig) {
      if (a.kconfig.align !== b.kconfig.align) return b.kconfig.align - a.kconfig.align;
      if (a.kconfig.size !== b.kconfig.size) return a.kconfig.size - b.kconfig.size;
    }
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  let off = 0;
  for (const e of out) {
    if (!e.kconfig) continue;
    e.kconfig.offset = Math.ceil(off / e.kconfig.align) * e.kconfig.align;
    off = e.kconfig.offset + e.kconfig.size;
  }
  return out;
}

/** Bytes of the `.kconfig` map: the end of the last kconfig extern, 0 when there is none. */
export function kconfigSize(externs: readonly ElfExternSpec[]): number {
  let end = 0;
  for (const e of externs) if (e.kconfig) end = Math.max(end, e.kconfig.offset + e.kconfig.size);
  return end;
}

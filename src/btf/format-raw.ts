/**
 * The raw text format of `bpftool btf dump file F` (bpftool 7.1, dump_btf_type): one
 * "[id] KIND 'name' fields" line per type, members and values on tab-indented lines after it.
 * @module
 */
import type { AnyBtfType } from "./types.ts";

/** What the raw printer needs of a Btf. */
export interface RawSource {
  /** First id this blob defines; a split BTF prints only its own ids. */
  readonly firstId: number;
  /** One past the last id. */
  readonly count: number;
  /** The type with this id. */
  typeById(id: number): AnyBtfType;
  /** btf_type.name_off of a type: bpftool prints "(anon)" for 0. */
  nameOffOf(id: number): number;
  /** name_off of a member, enumerator or param: 0 prints "(anon)", an offset of "" prints ''. */
  elementNameOffOf(id: number, index: number): number;
}

const INT_ENC: Record<number, string> = { 0: "(none)", 1: "SIGNED", 2: "CHAR", 4: "BOOL" };
const FUNC_LINKAGE = ["static", "global", "extern"];
const VAR_LINKAGE = ["static", "global", "extern"];

const kindStr = (t: AnyBtfType) => (t.kind === "unknown" || t.kind === "void" ? "UNKNOWN" : t.kind.toUpperCase());

/** The line(s) for one type, without the final newline. */
export function rawType(src: RawSource, t: AnyBtfType): string {
  const str = (name: string, i: number) => (name === "" && src.elementNameOffOf(t.id, i) === 0 ? "(anon)" : name);
  const head = `[${t.id}] ${kindStr(t)} '${src.nameOffOf(t.id) === 0 ? "(anon)" : t.name}'`;
  switch (t.kind) {
    case "int":
      return `${head} size=${t.size} bits_offset=${t.bitOffset} nr_bits=${t.bits} encoding=${INT_ENC[t.encoding] ?? "UNKN"}`;
    case "ptr": case "typedef": case "volatile": case "const": case "restrict": case "type_tag":
      return `${head} type_id=${t.type}`;
    case "array":
      return `${head} type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`;
    case "struct": case "union": {
      let s = `${head} size=${t.size} vlen=${t.members.length}`;
      for (let i = 0; i < t.members.length; i++) {
        const m = t.members[i];
        s += `\n\t'${str(m.name, i)}' type_id=${m.type} bits_offset=${m.bitOffset}`;
        if (m.bitfieldSize) s += ` bitfield_size=${m.bitfieldSize}`;
      }
      return s;
    }
    case "enum": case "enum64": {
      let s = `${head} encoding=${t.signed ? "SIGNED" : "UNSIGNED"} size=${t.size} vlen=${t.values.length}`;
      const suffix = t.kind === "enum" ? "" : t.signed ? "LL" : "ULL";
      for (let i = 0; i < t.values.length; i++) s += `\n\t'${str(t.values[i].name, i)}' val=${t.values[i].value}${suffix}`;
      return s;
    }
    case "fwd":
      return `${head} fwd_kind=${t.fwdKind}`;
    case "func":
      return `${head} type_id=${t.type} linkage=${FUNC_LINKAGE[t.linkage] ?? "(unknown)"}`;
    case "func_proto": {
      let s = `${head} ret_type_id=${t.returnType} vlen=${t.params.length}`;
      for (let i = 0; i < t.params.length; i++) s += `\n\t'${str(t.params[i].name, i)}' type_id=${t.params[i].type}`;
      return s;
    }
    case "var":
      return `${head} type_id=${t.type}, linkage=${VAR_LINKAGE[t.linkage] ?? "(unknown)"}`;
    case "datasec": {
      let s = `${head} size=${t.size} vlen=${t.vars.length}`;
      for (const v of t.vars) {
        const vt = src.typeById(v.type);
        s += `\n\ttype_id=${v.type} offset=${v.offset} size=${v.size} (${kindStr(vt)} '${src.nameOffOf(v.type) === 0 ? "(anon)" : vt.name}')`;
      }
      return s;
    }
    case "float":
      return `${head} size=${t.size}`;
    case "decl_tag":
      return `${head} type_id=${t.type} component_idx=${t.componentIdx}`;
    default:
      return head;
  }
}

/** Every type the blob defines, one after another, each ending in a newline. */
export function formatRaw(src: RawSource): string {
  const out: string[] = [];
  for (let id = src.firstId; id < src.count; id++) out.push(rawType(src, src.typeById(id)));
  return out.length ? out.join("\n") + "\n" : "";
}

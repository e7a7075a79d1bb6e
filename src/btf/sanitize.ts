/**
 * Sanitizing BTF for older kernels, as libbpf's bpf_object__sanitize_btf does: each kind or
 * feature the target kernel lacks is rewritten in place into one it has, so every type keeps its
 * id; the one type that needs adding (ENUM64's placeholder int) goes at the end.
 * @module
 */
import { Btf } from "./btf.ts";
import { rewriteBtf } from "./rewrite.ts";
import type { AnyBtfType, BtfIntType } from "./types.ts";

/** A BTF kind or feature a kernel may lack (libbpf's FEAT_BTF_*), with the release that brought it. */
export type BtfFeature =
  /** BTF_KIND_FUNC and FUNC_PROTO (5.0). */
  | "func"
  /** BTF_KIND_VAR and DATASEC (5.2). */
  | "datasec"
  /** FUNC linkage other than static (5.6). */
  | "global_func"
  /** BTF_KIND_FLOAT (5.13). */
  | "float"
  /** BTF_KIND_DECL_TAG (5.16). */
  | "decl_tag"
  /** BTF_KIND_TYPE_TAG (5.17). */
  | "type_tag"
  /** BTF_KIND_ENUM64 and signed enums (enum kind_flag) (6.0). */
  | "enum64"
  /** DATASEC names starting with '?' (6.9). */
  | "qmark_datasec"
  /** The layout section and the 32-byte header (7.1). */
  | "layout";

/** Every {@link BtfFeature}, oldest first. */
export const BTF_FEATURES: readonly BtfFeature[] = [
  "func", "datasec", "global_func", "float", "decl_tag", "type_tag", "enum64", "qmark_datasec", "layout",
];

/** The {@link BtfFeature}s `btf` uses (its own types and header; a split BTF's base is not looked at). */
export function btfFeaturesUsed(btf: Btf): BtfFeature[] {
  const used = new Set<BtfFeature>();
  if (btf.header.layoutLen > 0) used.add("layout");
  for (const t of btf.types()) {
    switch (t.kind) {
      case "func":
        used.add("func");
        if (t.linkage !== 0) used.add("global_func");
        break;
      case "func_proto": used.add("func"); break;
      case "var": used.add("datasec"); break;
      case "datasec":
        used.add("datasec");
        if (t.name.startsWith("?")) used.add("qmark_datasec");
        break;
      case "float": used.add("float"); break;
      case "decl_tag": used.add("decl_tag"); break;
      case "type_tag": used.add("type_tag"); break;
      case "enum64": used.add("enum64"); break;
      case "enum": if (t.kflag) used.add("enum64"); break;
    }
  }
  return BTF_FEATURES.filter((f) => used.has(f));
}

function featureSet(missing: Iterable<BtfFeature>): Set<BtfFeature> {
  if (missing === null || typeof missing !== "object" || typeof (missing as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new TypeError("missing must be an iterable of BTF feature names (an array or a Set)");
  }
  const out = new Set<BtfFeature>();
  for (const f of missing) {
    if (!BTF_FEATURES.includes(f)) throw new TypeError(`unknown BTF feature ${JSON.stringify(f)}; known: ${BTF_FEATURES.join(", ")}`);
    out.add(f);
  }
  return out;
}

/** INT of one byte, 8 bits, no encoding: what VAR and DECL_TAG become (4 bytes could exceed a small variable). */
function byteInt(id: number, name: string): BtfIntType {
  return { id, name, kind: "int", kindNumber: 1, kflag: false, size: 1, encoding: 0, bitOffset: 0, bits: 8 };
}

/**
 * `btf` rewritten for a kernel lacking the `missing` features, as libbpf's
 * bpf_object__sanitize_btf does (same type ids; placeholders appended):
 * - datasec: VAR → INT (1 byte, 8 bits); DATASEC → STRUCT, a member per variable (its name, at
 *   offset × 8 bits), '.' and '?' in the name replaced by '_';
 * - decl_tag: DECL_TAG → INT (as VAR);
 * - qmark_datasec: a leading '?' of a DATASEC name → '_';
 * - func: FUNC_PROTO → ENUM (4 bytes, a value per param: its name, its type id); FUNC → TYPEDEF;
 * - global_func: every FUNC static;
 * - float: FLOAT → anonymous STRUCT of the same size, no members;
 * - type_tag: TYPE_TAG → anonymous CONST;
 * - enum64: ENUM kind_flag cleared (values unsigned); ENUM64 → UNION of the same size whose
 *   members (one per value, its name) are a new INT "enum64_placeholder" (1 byte) at offset 0;
 * - layout: no layout section, strings right after the types.
 * Every rewritten type loses its kind_flag. Returns `btf` itself when nothing it uses is missing.
 */
export function sanitizeBtf(btf: Btf, missing: Iterable<BtfFeature>): Btf {
  if (!(btf instanceof Btf)) throw new TypeError("sanitizeBtf takes a Btf");
  const miss = featureSet(missing);
  if (!btfFeaturesUsed(btf).some((f) => miss.has(f))) return btf;
  const has = (f: BtfFeature) => !miss.has(f);
  const first = btf.firstId;
  const out: AnyBtfType[] = [];
  let placeholder = 0;
  const placeholderId = () => (placeholder ||= btf.count);
  for (let id = first; id < btf.count; id++) out.push(rewrite(btf.typeById(id)));
  if (placeholder) out.push(byteInt(placeholder, "enum64_placeholder"));

  // The first rule that applies wins, in libbpf's order.
  function rewrite(t: AnyBtfType): AnyBtfType {
    const { id } = t;
    if ((!has("datasec") && t.kind === "var") || (!has("decl_tag") && t.kind === "decl_tag")) return byteInt(id, t.name);
    if (!has("datasec") && t.kind === "datasec") {
      return {
        id, name: t.name.replace(/[.?]/g, "_"), kind: "struct", kindNumber: 4, kflag: false, size: t.size,
        members: t.vars.map((v) => ({ name: btf.typeById(v.type).name, type: v.type, bitOffset: (v.offset * 8) >>> 0, bitfieldSize: 0 })),
      };
    }
    if (!has("qmark_datasec") && t.kind === "datasec" && t.name.startsWith("?")) return { ...t, name: `_${t.name.slice(1)}` };
    if (!has("func") && t.kind === "func_proto") {
      return {
        id, name: t.name, kind: "enum", kindNumber: 6, kflag: false, size: 4, signed: false,
        values: t.params.map((p) => ({ name: p.name, value: p.type })),
      };
    }
    if (!has("func") && t.kind === "func") return { id, name: t.name, kind: "typedef", kindNumber: 8, kflag: false, type: t.type };
    if (!has("global_func") && t.kind === "func") return { ...t, kflag: false, linkage: 0 };
    if (!has("float") && t.kind === "float") return { id, name: "", kind: "struct", kindNumber: 4, kflag: false, size: t.size, members: [] };
    if (!has("type_tag") && t.kind === "type_tag") return { id, name: "", kind: "const", kindNumber: 10, kflag: false, type: t.type };
    if (!has("enum64") && t.kind === "enum") {
      return { ...t, kflag: false, signed: false, values: t.values.map((v) => ({ name: v.name, value: v.value >>> 0 })) };
    }
    if (!has("enum64") && t.kind === "enum64") {
      return {
        id, name: t.name, kind: "union", kindNumber: 5, kflag: false, size: t.size,
        members: t.values.map((v) => ({ name: v.name, type: placeholderId(), bitOffset: 0, bitfieldSize: 0 })),
      };
    }
    return t;
  }

  return rewriteBtf(btf, out, {
    // Names keep their '' versus (anon) distinction; a struct made of a DATASEC takes its members'
    // from the variables, and names cleared by a rewrite are anonymous.
    emptyNamed: (id, index) => {
      if (id >= btf.count) return false;
      const src = btf.typeById(id), now = out[id - first];
      if (index < 0) return now.kind !== src.kind && (src.kind === "float" || src.kind === "type_tag") ? false : btf.nameOffOf(id) !== 0;
      if (src.kind === "datasec") return btf.nameOffOf(src.vars[index].type) !== 0;
      return btf.elementNameOffOf(id, index) !== 0;
    },
    layout: has("layout") && btf.header.layoutLen > 0,
  });
}

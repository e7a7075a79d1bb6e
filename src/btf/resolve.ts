/**
 * Following references: through the qualifiers and typedefs to the underlying type, and the
 * size of a value (libbpf's btf__resolve_type / btf__resolve_size), with cycles caught.
 * @module
 */
import { BtfError } from "./error.ts";
import type { AnyBtfType } from "./types.ts";

/** What resolution needs of a Btf. */
export interface TypeSource {
  /** Number of type ids: a chain longer than this must loop. */
  readonly count: number;
  /** The type with this id. */
  typeById(id: number): AnyBtfType;
}

function isModifier(t: AnyBtfType): t is AnyBtfType & { type: number } {
  return t.kind === "typedef" || t.kind === "const" || t.kind === "volatile" || t.kind === "restrict" || t.kind === "type_tag";
}

/** `t` with every typedef, const, volatile, restrict and type_tag above it stripped. */
export function resolveType(src: TypeSource, t: AnyBtfType): AnyBtfType {
  for (let steps = 0; isModifier(t); steps++) {
    if (steps >= src.count) throw new BtfError("reference cycle through typedef/qualifiers", { typeId: t.id });
    t = src.typeById(t.type);
  }
  return t;
}

/** Size in bytes of a value of type `t`. */
export function sizeOfType(src: TypeSource, t: AnyBtfType, pointerSize: number): number {
  let mult = 1;
  for (let steps = 0; ; steps++) {
    if (steps > src.count) throw new BtfError("reference cycle while sizing", { typeId: t.id });
    switch (t.kind) {
      case "int": case "enum": case "enum64": case "struct": case "union": case "float": case "datasec": {
        const size = mult * t.size;
        if (size > 0xffffffff) throw new BtfError(`size ${size} overflows 32 bits`, { typeId: t.id });
        return size;
      }
      case "ptr":
        return mult * pointerSize;
      case "array":
        mult *= t.nelems;
        if (mult > 0xffffffff) throw new BtfError(`array of ${mult} elements overflows 32 bits`, { typeId: t.id });
        t = src.typeById(t.type);
        break;
      case "typedef": case "const": case "volatile": case "restrict": case "type_tag": case "var":
        t = src.typeById(t.type);
        break;
      default:
        throw new BtfError(`a ${t.kind} has no size`, { typeId: t.id });
    }
  }
}

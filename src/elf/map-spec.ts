/**
 * The pure description of a map an ELF object declares (libbpf's struct bpf_map_def plus what
 * BTF adds), before any kernel is involved: what Collection.load will create.
 * @module
 */

/** One variable of a global-data section, from its DATASEC VAR entry. */
export interface ElfMapVariable {
  /** The VAR's name. */
  name: string;
  /** Byte offset in the section (the ELF symbol's st_value, as libbpf fixes it up). */
  offset: number;
  /** Size in bytes (btf_var_secinfo.size). */
  size: number;
  /** The VAR's BTF type id. */
  varTypeId: number;
  /** The variable's own type id (the VAR's btf_type.type). */
  typeId: number;
  /** btf_var.linkage: BTF_VAR_STATIC 0, GLOBAL_ALLOCATED 1, GLOBAL_EXTERN 2. */
  linkage: number;
}

/** One slot initialiser of a map-in-map or prog array, from a `.rel.maps` relocation. */
export interface ElfMapSlot {
  /** The slot's index in the outer map. */
  index: number;
  /** The inner map's or program's symbol name. */
  name: string;
}

/**
 * A struct_ops map's value as the object declares it (libbpf's struct bpf_struct_ops before load):
 * the local struct, its initial bytes, and the program each function-pointer member holds.
 * Collection.load lays it out as the kernel's struct (by member name) and fills in program fds.
 */
export interface ElfStructOps {
  /** The local struct's name as written, flavour included ("tcp_congestion_ops___v2"). */
  typeName: string;
  /** Its type id in the object's BTF (also the spec's valueTypeId). */
  typeId: number;
  /** The variable's initial bytes in the local struct's layout; function-pointer members are zero. */
  data: Uint8Array;
  /** Program (function) name by function-pointer member name, from the section's relocations; edit before load to change them. */
  programs: Record<string, string>;
  /** False for a `?.struct_ops` or `?.struct_ops.link` section: Collection.load creates the map only when set to true. */
  autocreate: boolean;
}

/** Where a map spec came from. */
export type ElfMapSource = "btf" | "legacy" | "data" | "struct_ops";

/** A map as the ELF object declares it. */
export interface ElfMapSpec {
  /** The map's name: the symbol, or libbpf's internal name for global data ("reader.rodata"). */
  name: string;
  /** Which of the three declaration styles produced it. */
  source: ElfMapSource;
  /** The ELF section it was declared in. */
  section: string;
  /** BPF_MAP_TYPE_*. */
  type: number;
  /** Key size in bytes. */
  keySize: number;
  /** Value size in bytes. */
  valueSize: number;
  /** max_entries. */
  maxEntries: number;
  /** map_flags, BPF_F_*. */
  flags: number;
  /** numa_node (meaningful with BPF_F_NUMA_NODE). */
  numaNode: number;
  /** map_extra (a bloom filter's hash count, an arena's address). */
  mapExtra: bigint;
  /** LIBBPF_PIN_NONE 0 or LIBBPF_PIN_BY_NAME 1 (legacy definitions: 0, see legacyTail). */
  pinning: number;
  /** The key's BTF type id, 0 when not given. */
  keyTypeId: number;
  /** The value's BTF type id, 0 when not given. */
  valueTypeId: number;
  /** For a map-in-map, the inner map's template (named "<map>.inner"). */
  inner?: ElfMapSpec;
  /** Initial slot contents of a map-in-map or prog array, by index. */
  slots?: ElfMapSlot[];
  /** Initial value bytes of a global-data map (zeros for .bss), or of an arena's `__arena` globals, copied from the section. */
  contents?: Uint8Array;
  /** The variables of a global-data map (or of the arena's `.addr_space.1`), in DATASEC order. */
  variables?: ElfMapVariable[];
  /** Bytes after the 20-byte struct bpf_map_def of a legacy definition. */
  extra?: Uint8Array;
  /** A `.struct_ops` / `.struct_ops.link` map's local struct, bytes and programs. */
  structOps?: ElfStructOps;
  /** iproute2's tail of a legacy definition: id, pinning, inner_id, inner_idx, when present. */
  legacyTail?: { id: number; pinning: number; innerId: number; innerIdx: number };
}

/** A spec with every field at its zero value, to be filled in. */
export function emptySpec(name: string, source: ElfMapSource, section: string): ElfMapSpec {
  return { name, source, section, type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, numaNode: 0, mapExtra: 0n, pinning: 0, keyTypeId: 0, valueTypeId: 0 };
}

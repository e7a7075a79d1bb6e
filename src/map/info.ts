/**
 * struct bpf_map_info (BPF_OBJ_GET_INFO_BY_FD on a map) as a typed object. Fields a kernel does
 * not report yet (it fills a shorter struct) read as 0.
 * @module
 */
import { mapInfoByFd } from "../cmd/info.ts";
import type { FieldValue } from "../sys/decode.ts";
import { mapTypeName } from "./types.ts";

/** What the kernel reports about a map (struct bpf_map_info). */
export interface BpfMapInfo {
  /** Kernel id: stable while the map exists, unlike an fd. */
  readonly id: number;
  /** map_name ("" when unnamed). */
  readonly name: string;
  /** MapType value. */
  readonly type: number;
  /** The type's name ("hash", "percpu_array", ...). */
  readonly typeName: string;
  /** key_size in bytes. */
  readonly keySize: number;
  /** value_size in bytes (one CPU's value for per-CPU maps). */
  readonly valueSize: number;
  /** max_entries. */
  readonly maxEntries: number;
  /** map_flags (MapCreateFlags). */
  readonly flags: number;
  /** Offload device ifindex, 0 when not offloaded. */
  readonly ifindex: number;
  /** BTF object id of the key/value types (0: none). */
  readonly btfId: number;
  /** BTF type id of the key. */
  readonly btfKeyTypeId: number;
  /** BTF type id of the value. */
  readonly btfValueTypeId: number;
  /** BTF type id of a kernel struct stored as value (struct_ops). */
  readonly btfVmlinuxValueTypeId: number;
  /** BTF object id of the kernel (struct_ops). */
  readonly btfVmlinuxId: number;
  /** map_extra (bloom filter hash count, arena address, ...). */
  readonly mapExtra: bigint;
  /** Network namespace device of an offloaded map. */
  readonly netnsDev: bigint;
  /** Network namespace inode of an offloaded map. */
  readonly netnsIno: bigint;
}

function num(r: Record<string, FieldValue>, k: string): number {
  const v = r[k];
  return typeof v === "number" ? v : 0;
}

function big(r: Record<string, FieldValue>, k: string): bigint {
  const v = r[k];
  return typeof v === "bigint" ? v : 0n;
}

/** BPF_OBJ_GET_INFO_BY_FD on map `fd`, typed. */
export function mapInfo(fd: number): BpfMapInfo {
  const r = mapInfoByFd(fd);
  const type = num(r, "type");
  return {
    id: num(r, "id"),
    name: typeof r.name === "string" ? r.name : "",
    type,
    typeName: mapTypeName(type),
    keySize: num(r, "key_size"),
    valueSize: num(r, "value_size"),
    maxEntries: num(r, "max_entries"),
    flags: num(r, "map_flags"),
    ifindex: num(r, "ifindex"),
    btfId: num(r, "btf_id"),
    btfKeyTypeId: num(r, "btf_key_type_id"),
    btfValueTypeId: num(r, "btf_value_type_id"),
    btfVmlinuxValueTypeId: num(r, "btf_vmlinux_value_type_id"),
    btfVmlinuxId: num(r, "btf_vmlinux_id"),
    mapExtra: big(r, "map_extra"),
    netnsDev: big(r, "netns_dev"),
    netnsIno: big(r, "netns_ino"),
  };
}

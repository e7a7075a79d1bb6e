/**
 * BPF_OBJ_GET_INFO_BY_FD: what the kernel knows about a program, map, BTF object or link.
 * @module
 */
import { Cmd } from "../uapi/enums.gen.ts";
import { Attr } from "../sys/attr.ts";
import { bpfRaw } from "../sys/bpf.ts";
import { decodeStruct, type FieldValue } from "../sys/decode.ts";
import { type BpfFdKind, fdError } from "../sys/fd-kind.ts";
import type { Layout } from "../uapi/layout.gen.ts";
import { BtfInfo, InfoAttr, LinkInfo, MapInfo, ProgInfo } from "../uapi/layout.gen.ts";
import { checkBytes, checkFd } from "./args.ts";

const attr = new Attr(InfoAttr.size);

// A failure says which kind of object `fd` should have been.
function getInfo(fd: number, info: Uint8Array, want: BpfFdKind | readonly BpfFdKind[]): number {
  const F = InfoAttr.fields;
  checkFd(fd);
  // The kernel writes up to info_len bytes at the pointer: both come from the one Uint8Array.
  const buf = checkBytes(info, "info");
  attr.zero(InfoAttr.size)
    .u32(F.bpf_fd.off, fd)
    .u32(F.info_len.off, buf.length)
    .ptr(F.info.off, buf);
  const rc = bpfRaw(Cmd.obj_get_info_by_fd, attr, InfoAttr.size);
  if (rc < 0) throw fdError("obj_get_info_by_fd", -rc, `fd ${fd}`, [[fd, want, "fd"]]);
  return attr.getU32(F.info_len.off);
}

/**
 * BPF_OBJ_GET_INFO_BY_FD: fills `info` (a struct bpf_prog_info, bpf_map_info, bpf_btf_info or
 * bpf_link_info, zeroed or with its in/out pointers set) and returns how many bytes the kernel wrote.
 */
export function objGetInfoByFd(fd: number, info: Uint8Array): number {
  return getInfo(fd, info, ["program", "map", "BTF object", "link"]);
}

function infoOf(fd: number, layout: Layout, want: BpfFdKind): Record<string, FieldValue> {
  const buf = new Uint8Array(new ArrayBuffer(layout.size));
  const n = getInfo(fd, buf, want);
  return decodeStruct(layout, buf.subarray(0, n));
}

/** struct bpf_prog_info of a program fd, decoded by field name (fields the kernel did not fill are absent). */
export function progInfoByFd(fd: number): Record<string, FieldValue> {
  return infoOf(fd, ProgInfo, "program");
}
/** struct bpf_map_info of a map fd, decoded by field name. */
export function mapInfoByFd(fd: number): Record<string, FieldValue> {
  return infoOf(fd, MapInfo, "map");
}
/** struct bpf_btf_info of a BTF fd, decoded by field name. */
export function btfInfoByFd(fd: number): Record<string, FieldValue> {
  return infoOf(fd, BtfInfo, "BTF object");
}
/** struct bpf_link_info of a link fd, decoded by field name (every union member is decoded; read the one of its type). */
export function linkInfoByFd(fd: number): Record<string, FieldValue> {
  return infoOf(fd, LinkInfo, "link");
}

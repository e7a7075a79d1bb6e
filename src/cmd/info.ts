/**
 * BPF_OBJ_GET_INFO_BY_FD: what the kernel knows about a program, map, BTF object or link.
 * @module
 */
import { Cmd } from "../constants/enums.gen.ts";
import { Attr } from "../sys/attr.ts";
import { bpfCall } from "../sys/bpf.ts";
import { decodeStruct, type FieldValue } from "../sys/decode.ts";
import type { Layout } from "../sys/layout.ts";
import { BtfInfo, InfoAttr, LinkInfo, MapInfo, ProgInfo } from "../sys/layout.gen.ts";
import { checkFd } from "./args.ts";

const attr = new Attr(InfoAttr.size);

/**
 * BPF_OBJ_GET_INFO_BY_FD: fills `info` (a struct bpf_prog_info, bpf_map_info, bpf_btf_info or
 * bpf_link_info, zeroed or with its in/out pointers set) and returns how many bytes the kernel wrote.
 */
export function objGetInfoByFd(fd: number, info: Uint8Array): number {
  const F = InfoAttr.fields;
  attr.zero(InfoAttr.size)
    .u32(F.bpf_fd.off, checkFd(fd))
    .u32(F.info_len.off, info.length)
    .ptr(F.info.off, info);
  bpfCall(Cmd.obj_get_info_by_fd, attr, InfoAttr.size, { context: `fd ${fd}` });
  return attr.getU32(F.info_len.off);
}

function infoOf(fd: number, layout: Layout): Record<string, FieldValue> {
  const buf = new Uint8Array(new ArrayBuffer(layout.size));
  const n = objGetInfoByFd(fd, buf);
  return decodeStruct(layout, buf.subarray(0, n));
}

/** struct bpf_prog_info of a program fd, decoded by field name (fields the kernel did not fill are absent). */
export function progInfoByFd(fd: number): Record<string, FieldValue> {
  return infoOf(fd, ProgInfo);
}
/** struct bpf_map_info of a map fd, decoded by field name. */
export function mapInfoByFd(fd: number): Record<string, FieldValue> {
  return infoOf(fd, MapInfo);
}
/** struct bpf_btf_info of a BTF fd, decoded by field name. */
export function btfInfoByFd(fd: number): Record<string, FieldValue> {
  return infoOf(fd, BtfInfo);
}
/** struct bpf_link_info of a link fd, decoded by field name (every union member is decoded; read the one of its type). */
export function linkInfoByFd(fd: number): Record<string, FieldValue> {
  return infoOf(fd, LinkInfo);
}

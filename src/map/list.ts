/**
 * Every map on the system, as `bpftool map` lists them: walk the ids with BPF_MAP_GET_NEXT_ID,
 * open each with BPF_MAP_GET_FD_BY_ID, read its info, close it. Needs CAP_SYS_ADMIN.
 * @module
 */
import { close } from "../cmd/fd.ts";
import { mapGetFdById, mapGetNextId } from "../cmd/ids.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { BpfError } from "../errors.ts";
import { type BpfMapInfo, mapInfo } from "./info.ts";

/** Ids of every map loaded in the kernel, ascending (BPF_MAP_GET_NEXT_ID). */
export function mapIds(): number[] {
  const ids: number[] = [];
  for (let id = mapGetNextId(0); id !== null; id = mapGetNextId(id)) ids.push(id);
  return ids;
}

/** Info on every map loaded in the kernel, by ascending id; maps that vanish during the walk are left out. */
export function listMaps(): BpfMapInfo[] {
  const out: BpfMapInfo[] = [];
  for (let id = mapGetNextId(0); id !== null; id = mapGetNextId(id)) {
    let fd: number;
    try {
      fd = mapGetFdById(id);
    } catch (e) {
      if (e instanceof BpfError && e.errno === Errno.ENOENT) continue; // freed since its id was read
      throw e;
    }
    try {
      out.push(mapInfo(fd));
    } finally {
      close(fd);
    }
  }
  return out;
}

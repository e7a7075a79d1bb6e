/**
 * Every program loaded on the system, by id (BPF_PROG_GET_NEXT_ID), each opened just long enough
 * to read its info.
 * @module
 */
import { Errno } from "../uapi/errno.gen.ts";
import { close } from "../cmd/fd.ts";
import { progGetFdById, progGetNextId } from "../cmd/ids.ts";
import { BpfError } from "../errors.ts";
import { type ProgramInfo, programInfo } from "./info.ts";

/** Ids of every loaded program, ascending. */
export function programIds(): number[] {
  const ids: number[] = [];
  for (let id = progGetNextId(0); id !== null; id = progGetNextId(id)) ids.push(id);
  return ids;
}

/** Info of every loaded program; one that goes away while being listed is left out. */
export function listPrograms(): ProgramInfo[] {
  const out: ProgramInfo[] = [];
  for (const id of programIds()) {
    let fd: number;
    try {
      fd = progGetFdById(id);
    } catch (e) {
      if (e instanceof BpfError && e.errno === Errno.ENOENT) continue; // unloaded meanwhile
      throw e;
    }
    try {
      out.push(programInfo(fd));
    } finally {
      close(fd);
    }
  }
  return out;
}

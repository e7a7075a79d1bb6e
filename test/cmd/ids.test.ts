// Walking the system's objects by id and opening them by id, and what info says about them.
import { expect } from "vitest";
import {
  btfGetFdById, btfGetNextId, btfInfoByFd, Insn, mapCreate, mapGetFdById, mapGetNextId, mapInfoByFd, MapType, progGetFdById,
  progGetNextId, progInfoByFd, progLoad, ProgType,
} from "../../mod.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { own } from "../helpers/fds.ts";

function allIds(next: (start: number) => number | null): number[] {
  const ids: number[] = [];
  for (let id = next(0); id !== null; id = next(id)) ids.push(id);
  return ids;
}

describePriv("ids", () => {
  itPriv("a new map is among the map ids, and opens by id", () => {
    const m = own(mapCreate(MapType.array, 4, 4, 3, { name: "by_id" }));
    const id = mapInfoByFd(m).id as number;
    expect(allIds(mapGetNextId)).toContain(id);
    const fd = own(mapGetFdById(id));
    const info = mapInfoByFd(fd);
    expect(info).toMatchObject({ id, type: MapType.array, key_size: 4, value_size: 4, max_entries: 3, name: "by_id" });
  });

  itPriv("a new program is among the program ids, and opens by id", () => {
    const p = own(progLoad(ProgType.socket_filter, [Insn.mov("r0", 0), Insn.exit()], { name: "by_id" }));
    const id = progInfoByFd(p).id as number;
    const ids = allIds(progGetNextId);
    expect(ids).toContain(id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids); // ids come in increasing order
    const fd = own(progGetFdById(id));
    expect(progInfoByFd(fd)).toMatchObject({ id, name: "by_id", type: ProgType.socket_filter });
  });

  itPriv("the kernel's own BTF is object 1 or so, named vmlinux", { feature: "kernel_btf" }, () => {
    const ids = allIds(btfGetNextId);
    expect(ids.length).toBeGreaterThan(0);
    const fd = own(btfGetFdById(ids[0]));
    const info = btfInfoByFd(fd);
    expect(info.id).toBe(ids[0]);
    expect(info.kernel_btf).toBe(1);
    expect(info.btf_size as number).toBeGreaterThan(1000);
  });
});

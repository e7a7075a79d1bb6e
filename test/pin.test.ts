// Pinning on a bpffs the test mounts: pin maps and programs, get them back, read-only opens.
import { existsSync, unlinkSync } from "node:fs";
import { afterAll, beforeAll, expect } from "vitest";
import {
  BPF, Insn, mapCreate, mapInfoByFd, mapLookupElem, MapType, mapUpdateElem, objGet, objPin, progInfoByFd, progLoad, ProgType,
  progTestRun,
} from "../mod.ts";
import { describePriv, isRoot, itPriv } from "./helpers/env.ts";
import { bpfError } from "./helpers/expect.ts";
import { own } from "./helpers/fds.ts";
import { tempMount } from "./helpers/fs.ts";

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);

describePriv("pinning", () => {
  let fs: { dir: string; unmount: () => void };
  beforeAll(() => {
    if (isRoot) fs = tempMount("bpf");
  });
  afterAll(() => fs?.unmount());

  itPriv("a pinned map is the same map when got back", () => {
    const m = own(mapCreate(MapType.hash, 4, 4, 8, { name: "pinned" }));
    mapUpdateElem(m, u32(1), u32(77), 0);
    const path = `${fs.dir}/map`;
    objPin(m, path);
    expect(existsSync(path)).toBe(true);
    const again = own(objGet(path));
    expect(again).not.toBe(m);
    expect(mapInfoByFd(again).id).toBe(mapInfoByFd(m).id);
    const v = new Uint8Array(4);
    mapLookupElem(again, u32(1), v);
    expect(v).toEqual(u32(77));
    unlinkSync(path);
    expect(bpfError(() => objGet(path)).kind).toBe("NotFound");
  });

  itPriv("a read-only open refuses writes", () => {
    const m = own(mapCreate(MapType.array, 4, 4, 1));
    const path = `${fs.dir}/ro`;
    objPin(m, path);
    const ro = own(objGet(path, { flags: BPF.F_RDONLY }));
    const v = new Uint8Array(4);
    mapLookupElem(ro, u32(0), v);
    expect(bpfError(() => mapUpdateElem(ro, u32(0), v, 0)).kind).toBe("AccessDenied");
    unlinkSync(path);
  });

  itPriv("a pinned program outlives its fd and still runs", () => {
    const path = `${fs.dir}/prog`;
    const p = progLoad(ProgType.socket_filter, [Insn.mov("r0", 3), Insn.exit()], { name: "pinned_prog" });
    const id = progInfoByFd(p).id;
    objPin(p, path);
    own(p);
    const again = own(objGet(path));
    expect(progInfoByFd(again).id).toBe(id);
    expect(progTestRun(again, { data: new Uint8Array(64) }).retval).toBe(3);
    unlinkSync(path);
  });

  itPriv("pinning outside a bpffs fails", () => {
    const m = own(mapCreate(MapType.array, 4, 4, 1));
    const e = bpfError(() => objPin(m, "/proc/self/not-bpffs"));
    expect(e.cmd).toBe("obj_pin");
    expect(["EPERM", "ENOENT", "EACCES"]).toContain(e.code);
  });
});

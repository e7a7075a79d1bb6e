// Pinning on a bpffs the test mounts: pin maps and programs, get them back, read-only opens.
import { existsSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import {
  BPF, BpfMap, Insn, mapCreate, mapInfoByFd, mapLookupElem, MapType, mapUpdateElem, objGet, objPin, progInfoByFd, progLoad, ProgType,
  progTestRun, u32 as u32Codec,
} from "../../mod.ts";
import { describePriv, isRoot, itPriv } from "../helpers/env.ts";
import { bpfError } from "../helpers/expect.ts";
import { own } from "../helpers/fds.ts";
import { tempMount } from "../helpers/fs.ts";

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
    expect(e.message).toContain("/proc/self is on proc, not a bpffs");
  });
});

describePriv("pin errors say what is wrong with the path", () => {
  let fs: { dir: string; unmount: () => void };
  let plain = "";
  beforeAll(() => {
    if (!isRoot) return;
    fs = tempMount("bpf");
    mkdirSync(`${fs.dir}/sub`);
    plain = mkdtempSync(join(tmpdir(), "tsbpf-not-bpffs-"));
    writeFileSync(`${plain}/file`, "not a pin");
  });
  afterAll(() => {
    if (plain) rmSync(plain, { recursive: true, force: true });
    fs?.unmount();
  });
  const MOUNT = "mount one with `mount -t bpf bpf /sys/fs/bpf` and pin under it";

  itPriv("a directory not on a bpffs: says so and how to mount one, even as root", () => {
    const m = own(mapCreate(MapType.array, 4, 4, 1));
    const e = bpfError(() => objPin(m, `${plain}/m`));
    expect(e.code).toBe("EPERM");
    expect(e.message).toMatch(new RegExp(`: ${plain} is on [\\w ]+, not a bpffs; pins live only on a bpffs: `));
    expect(e.message).toContain(MOUNT);
    expect(e.message).not.toContain("CAP_BPF");
    // The object method says the same, once.
    using map = BpfMap.create({ type: MapType.array, key: u32Codec, value: u32Codec, maxEntries: 1 });
    const again = bpfError(() => map.pin(`${plain}/m`));
    expect(again.message.split(MOUNT).length).toBe(2);
  });

  itPriv("a directory that does not exist", () => {
    const m = own(mapCreate(MapType.array, 4, 4, 1));
    const e = bpfError(() => objPin(m, `${fs.dir}/nope/m`));
    expect(e.kind).toBe("NotFound");
    expect(e.message).toContain(`the directory ${fs.dir}/nope does not exist`);
  });

  itPriv("opening a regular file as a pin: not a pinned BPF object", () => {
    const e = bpfError(() => objGet(`${plain}/file`));
    expect(e.code).toBe("EACCES");
    expect(e.message).toMatch(new RegExp(`: ${plain}/file is not a pinned BPF object: it is on [\\w ]+, not a bpffs`));
    expect(bpfError(() => BpfMap.fromPin(`${plain}/file`)).message).toContain("is not a pinned BPF object");
  });

  itPriv("opening a bpffs directory, or a name nothing is pinned at", () => {
    expect(bpfError(() => objGet(`${fs.dir}/sub`)).message).toContain(`${fs.dir}/sub is a directory on a bpffs, not a pinned object`);
    const e = bpfError(() => objGet(`${fs.dir}/sub/missing`));
    expect(e.kind).toBe("NotFound");
    expect(e.message).toContain("nothing is pinned at this path; its directory is on a bpffs");
  });
});

// The core's error paths and attr encoding, through a fake backend (no kernel involved): the
// bytes each wrapper hands to bpf(), and how -errno results become BpfErrors.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type Backend, close, Cmd, ENOTSUPP, Errno, getBackend, Insn, MapCreateAttr, mapCreate, MapElemAttr,
  mapLookupElem, MapType, mapUpdateElem, ProgLoadAttr, progLoad, ProgType, setBackend, UpdateFlags,
} from "../../mod.ts";
import { bpfError } from "../helpers/expect.ts";

interface Call { cmd: number; bytes: Uint8Array; size: number }

function fake(results: number[]): Backend & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    name: "fake",
    arch: "x86_64",
    calls,
    bpf(cmd, attr, _addr, size) {
      calls.push({ cmd, bytes: attr.slice(0, size), size });
      return results.length ? results.shift()! : 0;
    },
    syscall: () => 0,
    address: () => 0x7f0000001000,
  };
}

let real: Backend;
beforeEach(() => {
  real = getBackend();
});
afterEach(() => setBackend(real));

const u32At = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset).getUint32(off, true);

describe("fake backend", () => {
  it("mapCreate writes the attr fields where the layout says, and passes the struct's size", () => {
    const f = fake([9]);
    setBackend(f);
    expect(mapCreate(MapType.lru_hash, 8, 16, 100, { flags: 1, name: "abc" })).toBe(9);
    const [c] = f.calls;
    const F = MapCreateAttr.fields;
    expect(c.cmd).toBe(Cmd.map_create);
    expect(c.size).toBe(MapCreateAttr.size);
    expect([u32At(c.bytes, F.map_type.off), u32At(c.bytes, F.key_size.off), u32At(c.bytes, F.value_size.off)]).toEqual([9, 8, 16]);
    expect([u32At(c.bytes, F.max_entries.off), u32At(c.bytes, F.map_flags.off)]).toEqual([100, 1]);
    expect(new TextDecoder().decode(c.bytes.subarray(F.map_name.off, F.map_name.off + 3))).toBe("abc");
    expect(c.bytes.subarray(F.map_name.off + 3, F.map_name.off + 16).every((b) => b === 0)).toBe(true);
    close(9);
  });

  it("element calls point the attr at the staged key and value, and copy the value back", () => {
    const f = fake([5]);
    setBackend(f);
    const fd = mapCreate(MapType.hash, 4, 4, 1);
    mapUpdateElem(fd, new Uint8Array([1, 2, 3, 4]), new Uint8Array([5, 6, 7, 8]), UpdateFlags.exist);
    const c = f.calls[1];
    expect(c.cmd).toBe(Cmd.map_update_elem);
    expect(c.size).toBe(MapElemAttr.size);
    expect(u32At(c.bytes, MapElemAttr.fields.map_fd.off)).toBe(5);
    expect(u32At(c.bytes, MapElemAttr.fields.flags.off)).toBe(UpdateFlags.exist);
    expect(u32At(c.bytes, MapElemAttr.fields.key.off)).not.toBe(0);
    expect(u32At(c.bytes, MapElemAttr.fields.value.off)).not.toBe(0);
    close(fd);
  });

  it("EPERM says which privilege is missing and mentions the memlock limit", () => {
    setBackend(fake([-Errno.EPERM]));
    const b = bpfError(() => mapCreate(MapType.hash, 4, 4, 1));
    expect([b.errno, b.code, b.cmd, b.kind]).toEqual([1, "EPERM", "map_create", "AccessDenied"]);
    expect(b.message).toMatch(/root, or CAP_BPF/);
    expect(b.message).toMatch(/RLIMIT_MEMLOCK/);
  });

  it("kernel-internal and unknown errnos still get a name", () => {
    setBackend(fake([-ENOTSUPP]));
    expect(() => mapCreate(MapType.hash, 4, 4, 1)).toThrow(/ENOTSUPP \(NotSupported\)/);
    setBackend(fake([-4242]));
    expect(() => mapCreate(MapType.hash, 4, 4, 1)).toThrow(expect.objectContaining({ code: "E4242", kind: "Unexpected" }));
  });

  it("prog_load is retried on EAGAIN, and only on EAGAIN", () => {
    const f = fake([-Errno.EAGAIN, -Errno.EAGAIN, 7]);
    setBackend(f);
    expect(progLoad(ProgType.socket_filter, [Insn.mov("r0", 0), Insn.exit()])).toBe(7);
    expect(f.calls.map((c) => c.cmd)).toEqual([Cmd.prog_load, Cmd.prog_load, Cmd.prog_load]);
    expect(u32At(f.calls[2].bytes, ProgLoadAttr.fields.insn_cnt.off)).toBe(2);
    const g = fake([-Errno.EINVAL, 7]);
    setBackend(g);
    expect(() => progLoad(ProgType.socket_filter, [Insn.exit()])).toThrow(expect.objectContaining({ kind: "InvalidProgram" }));
    expect(g.calls.length).toBe(1);
  });

  it("a lookup that fails leaves the caller's value buffer untouched", () => {
    const f = fake([3, -Errno.ENOENT]);
    setBackend(f);
    const fd = mapCreate(MapType.hash, 4, 4, 1);
    const v = new Uint8Array([9, 9, 9, 9]);
    expect(() => mapLookupElem(fd, new Uint8Array(4), v)).toThrow(expect.objectContaining({ kind: "NotFound", cmd: "map_lookup_elem" }));
    expect([...v]).toEqual([9, 9, 9, 9]);
    close(fd);
  });
});

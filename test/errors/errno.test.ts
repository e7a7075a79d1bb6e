// Errno mapping for each wrapper, with errors the real kernel gives: errno, code, cmd and Zig's kind.
import { openSync, closeSync } from "node:fs";
import { describe, expect } from "vitest";
import {
  Attr, AttachType, bpfCall, btfGetFdById, close, mapLookupAndDeleteBatch, progAssocStructOps, progStreamReadByFd, SyscallError,
  tokenCreate, btfLoad, Cmd, enableStats, Errno, haveFeature, Insn, iterCreate, linkCreate, linkDetach, linkGetFdById,
  linkUpdate, mapCreate, mapDeleteBatch, mapDeleteElem, mapFreeze, mapGetFdById, mapGetNextKey, mapLookupAndDeleteElem,
  mapLookupBatch, mapLookupElem, MapType, mapUpdateBatch, mapUpdateElem, objGet, objGetInfoByFd, objPin, progAttach,
  progBindMap, progDetach, progGetFdById, progLoad, progQuery, ProgType, progTestRun, rawTracepointOpen, taskFdQuery,
  UpdateFlags,
} from "../../mod.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { bpfError, thrown } from "../helpers/expect.ts";
import { own } from "../helpers/fds.ts";
import { tempMount } from "../helpers/fs.ts";

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const ok = () => own(progLoad(ProgType.socket_filter, [Insn.mov("r0", 0), Insn.exit()]));
// A number no process here has open.
const CLOSED_FD = 100000;

function expectError(fn: () => unknown, cmd: string, code: keyof typeof Errno | "ENOTSUPP" | string[], kind?: string) {
  const e = bpfError(fn);
  expect(e.cmd).toBe(cmd);
  if (Array.isArray(code)) expect(code).toContain(e.code);
  else expect(e.code).toBe(code);
  if (!Array.isArray(code) && code !== "ENOTSUPP") expect(e.errno).toBe(Errno[code as keyof typeof Errno]);
  if (kind) expect(e.kind).toBe(kind);
  expect(e.message).toContain(`bpf(${cmd}): ${e.code}`);
  return e;
}

describePriv("errno mapping", () => {
  itPriv("map_create: EINVAL is MapTypeOrAttrInvalid", () => {
    expectError(() => mapCreate(MapType.hash, 0, 4, 1), "map_create", "EINVAL", "MapTypeOrAttrInvalid");
    expectError(() => mapCreate(10000, 4, 4, 1), "map_create", "EINVAL", "MapTypeOrAttrInvalid");
  });

  itPriv("element commands: NotFound, ReachedMaxEntries, AlreadyExists, FieldInAttrNeedsZeroing, BadFd", () => {
    const m = own(mapCreate(MapType.hash, 4, 4, 1));
    const v = new Uint8Array(4);
    expectError(() => mapLookupElem(m, u32(1), v), "map_lookup_elem", "ENOENT", "NotFound");
    expectError(() => mapUpdateElem(m, u32(1), v, UpdateFlags.exist), "map_update_elem", "ENOENT", "NotFound");
    mapUpdateElem(m, u32(1), v, UpdateFlags.noexist);
    expectError(() => mapUpdateElem(m, u32(1), v, UpdateFlags.noexist), "map_update_elem", "EEXIST", "AlreadyExists");
    expectError(() => mapUpdateElem(m, u32(2), v, 0), "map_update_elem", "E2BIG", "ReachedMaxEntries");
    expectError(() => mapUpdateElem(m, u32(1), v, 1 << 10), "map_update_elem", "EINVAL", "FieldInAttrNeedsZeroing");
    expectError(() => mapLookupElem(m, u32(1), v, 1 << 10), "map_lookup_elem", "EINVAL", "FieldInAttrNeedsZeroing");
    expectError(() => mapDeleteElem(m, u32(7)), "map_delete_elem", "ENOENT", "NotFound");
    expectError(() => mapLookupAndDeleteElem(m, u32(7), v), "map_lookup_and_delete_elem", ["ENOENT", "EINVAL", "ENOTSUPP"]);
    expectError(() => mapLookupElem(CLOSED_FD, u32(1), v), "map_lookup_elem", "EBADF", "BadFd");
    expectError(() => mapGetNextKey(CLOSED_FD, null, v), "map_get_next_key", "EBADF", "BadFd");
    // A program fd is not a map: the kernel says EINVAL before touching a buffer.
    expectError(() => mapLookupElem(ok(), u32(1), v), "map_lookup_elem", "EINVAL");
  });

  itPriv("a frozen map refuses writes with EPERM and says why", { feature: "map_freeze" }, () => {
    const m = own(mapCreate(MapType.array, 4, 4, 1));
    mapFreeze(m);
    const e = expectError(() => mapUpdateElem(m, u32(0), u32(1), 0), "map_update_elem", "EPERM", "AccessDenied");
    expect(e.message).toMatch(/frozen or read-only/);
    // Freezing twice: the frozen map is no longer writable from here, so EPERM comes first.
    expectError(() => mapFreeze(m), "map_freeze", ["EPERM", "EBUSY"]);
  });

  itPriv("prog_load: EACCES is UnsafeProgram, EINVAL is InvalidProgram", () => {
    const e = expectError(() => progLoad(ProgType.socket_filter, [Insn.exit()], { log: { level: 1, buf: new Uint8Array(4096) } }),
      "prog_load", "EACCES", "UnsafeProgram");
    expect(e.log).toMatch(/R0 !read_ok/);
    expectError(() => progLoad(10000, [Insn.mov("r0", 0), Insn.exit()]), "prog_load", "EINVAL", "InvalidProgram");
  });

  itPriv("prog_test_run, prog_attach, prog_detach, prog_query, prog_bind_map", () => {
    // BPF_PROG_RUN is the newer name of BPF_PROG_TEST_RUN: errors use it.
    expectError(() => progTestRun(CLOSED_FD), "prog_run", "EBADF", "BadFd");
    const cg = tempMount("cgroup2");
    const fd = openSync(cg.dir, "r");
    try {
      // A socket filter cannot attach to a cgroup.
      expectError(() => progAttach(fd, ok(), AttachType.cgroup_inet_ingress), "prog_attach", "EINVAL", "InvalidArgument");
      expectError(() => progDetach(fd, ok(), AttachType.cgroup_inet_ingress), "prog_detach", ["ENOENT", "EINVAL"]);
      expectError(() => progQuery(CLOSED_FD, AttachType.cgroup_inet_ingress), "prog_query", "EBADF", "BadFd");
    } finally {
      closeSync(fd);
      cg.unmount();
    }
    expectError(() => progBindMap(ok(), CLOSED_FD), "prog_bind_map", "EBADF", "BadFd");
  });

  itPriv("obj_pin and obj_get", () => {
    const fs = tempMount("bpf");
    try {
      expectError(() => objGet(`${fs.dir}/missing`), "obj_get", "ENOENT", "NotFound");
      const m = own(mapCreate(MapType.array, 4, 4, 1));
      objPin(m, `${fs.dir}/m`);
      expectError(() => objPin(m, `${fs.dir}/m`), "obj_pin", "EEXIST", "AlreadyExists");
    } finally {
      fs.unmount();
    }
  });

  itPriv("get_fd_by_id for ids that do not exist", () => {
    expectError(() => progGetFdById(0xfffffff0), "prog_get_fd_by_id", "ENOENT", "NotFound");
    expectError(() => mapGetFdById(0xfffffff0), "map_get_fd_by_id", "ENOENT", "NotFound");
    expectError(() => btfGetFdById(0xfffffff0), "btf_get_fd_by_id", "ENOENT", "NotFound");
    expectError(() => linkGetFdById(0xfffffff0), "link_get_fd_by_id", "ENOENT", "NotFound");
  });

  itPriv("obj_get_info_by_fd on something that is not a bpf object", () => {
    // This command says EBADFD, not EBADF, for an fd that is not open.
    expectError(() => objGetInfoByFd(CLOSED_FD, new Uint8Array(64)), "obj_get_info_by_fd", ["EBADFD", "EBADF"]);
    expect(bpfError(() => objGetInfoByFd(CLOSED_FD, new Uint8Array(64))).kind).toBe("BadFd");
    const fd = openSync("/proc/self/stat", "r");
    try {
      expectError(() => objGetInfoByFd(fd, new Uint8Array(64)), "obj_get_info_by_fd", "EINVAL", "InvalidArgument");
    } finally {
      closeSync(fd);
    }
  });

  itPriv("raw_tracepoint_open, link_create, link_update, link_detach, iter_create", () => {
    const prog = ok();
    expectError(() => rawTracepointOpen("sched_switch", prog), "raw_tracepoint_open", "EINVAL", "InvalidArgument");
    expectError(() => linkCreate(prog, CLOSED_FD, AttachType.cgroup_inet_ingress), "link_create", ["EBADF", "EINVAL"]);
    expectError(() => linkUpdate(CLOSED_FD, prog), "link_update", "EBADF", "BadFd");
    expectError(() => linkDetach(CLOSED_FD), "link_detach", ["EBADF", "EINVAL"]);
    expectError(() => iterCreate(CLOSED_FD), "iter_create", "EBADF", "BadFd");
  });

  itPriv("btf_load with garbage carries the BTF log", () => {
    const e = expectError(() => btfLoad(new Uint8Array(64), { log: { level: 1, buf: new Uint8Array(4096) } }), "btf_load", "EINVAL", "InvalidArgument");
    expect(e.log).toMatch(/magic/i);
  });

  itPriv("task_fd_query and enable_stats", { feature: ["task_fd_query", "enable_stats"] }, () => {
    expectError(() => taskFdQuery(process.pid, CLOSED_FD), "task_fd_query", "EBADF", "BadFd");
    expectError(() => enableStats(1000), "enable_stats", "EINVAL", "InvalidArgument");
  });

  itPriv("batch commands on a map without them", { feature: ["batch_ops", { mapType: "queue" }] }, () => {
    const q = own(mapCreate(MapType.queue, 0, 4, 4));
    const out = new Uint8Array(4);
    expectError(() => mapLookupBatch(q, null, out, new Uint8Array(16), new Uint8Array(16), 4), "map_lookup_batch", ["EINVAL", "ENOTSUPP", "EOPNOTSUPP"]);
    const h = own(mapCreate(MapType.hash, 4, 4, 4));
    expectError(() => mapUpdateBatch(h, new Uint8Array(16), new Uint8Array(16), 4, { elemFlags: 1 << 10 }), "map_update_batch", "EINVAL");
    expectError(() => mapDeleteBatch(h, u32(9), 1), "map_delete_batch", "ENOENT", "NotFound");
  });

  itPriv("lookup_and_delete_batch, token_create, prog_stream_read_by_fd, prog_assoc_struct_ops", { feature: "batch_ops" }, () => {
    const a = own(mapCreate(MapType.array, 4, 4, 4));
    // Arrays cannot delete: no lookup-and-delete batch for them.
    expectError(() => mapLookupAndDeleteBatch(a, null, new Uint8Array(4), new Uint8Array(16), new Uint8Array(16), 4),
      "map_lookup_and_delete_batch", ["EINVAL", "ENOTSUPP", "EOPNOTSUPP"]);
    // Newer commands: a bad fd where the kernel knows them, EINVAL (unknown command) where it does not.
    expectError(() => tokenCreate(CLOSED_FD), "token_create", haveFeature("token_create") ? "EBADF" : "EINVAL");
    expectError(() => progStreamReadByFd(CLOSED_FD, 1, new Uint8Array(64)), "prog_stream_read_by_fd", haveFeature("prog_stream_read_by_fd") ? "EBADF" : "EINVAL");
    expectError(() => progAssocStructOps(CLOSED_FD, CLOSED_FD), "prog_assoc_struct_ops", ["EBADF", "EINVAL"]);
  });

  itPriv("close of an fd that is not open is a SyscallError EBADF", () => {
    const e = thrown(() => close(CLOSED_FD), SyscallError);
    expect(e).toMatchObject({ syscall: "close", code: "EBADF", errno: Errno.EBADF });
  });

  itPriv("a command the kernel does not know is EINVAL, named by number", () => {
    const e = expectError(() => bpfCall(999, new Attr(16), 16), "cmd_999", "EINVAL", "InvalidArgument");
    expect(e.message).toBe("bpf(cmd_999): EINVAL (InvalidArgument): invalid argument");
    // The newest commands exist only on the newest kernels; older ones say EINVAL for them too.
    if (!haveFeature("prog_stream_read_by_fd")) expectError(() => bpfCall(Cmd.prog_stream_read_by_fd, new Attr(32), 32), "prog_stream_read_by_fd", "EINVAL");
  });
});

describe("bad input is refused before any syscall", () => {
  itPriv("sizes of keys and values are checked against the map", () => {
    const m = own(mapCreate(MapType.hash, 4, 8, 4));
    expect(() => mapLookupElem(m, new Uint8Array(3), new Uint8Array(8))).toThrow(/key is 3 bytes; map fd \d+ \(hash\) needs 4/);
    expect(() => mapLookupElem(m, u32(1), new Uint8Array(4))).toThrow(/value is 4 bytes; map fd \d+ \(hash\) needs 8/);
    expect(() => mapUpdateElem(m, u32(1), new Uint8Array(9), 0)).toThrow(RangeError);
    expect(() => mapDeleteElem(m, new Uint8Array(5))).toThrow(/key is 5 bytes/);
    expect(() => mapGetNextKey(m, null, new Uint8Array(2))).toThrow(/next key is 2 bytes/);
    expect(() => mapLookupBatch(m, null, new Uint8Array(4), new Uint8Array(4), new Uint8Array(8), 2)).toThrow(/keys buffer for 2 keys is 4 bytes/);
  });

  itPriv("names, flags and counts are checked", () => {
    expect(() => mapCreate(MapType.hash, 4, 4, 1, { name: "has a space" })).toThrow(/object name/);
    expect(() => mapCreate(MapType.hash, 4, 4, 1, { name: "sixteen_chars_xx" })).toThrow(/object name/);
    expect(() => mapCreate(MapType.hash, -1, 4, 1)).toThrow(/key size must be an integer/);
    expect(() => progLoad(ProgType.socket_filter, [])).toThrow(/at least one instruction/);
    expect(() => progLoad(ProgType.socket_filter, new Uint8Array(12))).toThrow(/multiple of 8/);
    expect(() => objPin(3, "")).toThrow(/pin path/);
  });
});

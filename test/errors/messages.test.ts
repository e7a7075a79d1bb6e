// What error messages say: every errno has words for its command (never a bare "failed"), an fd
// that is not what the command takes is named with what it is, link_create names its program,
// target and attach type, EMFILE and EINTR explain themselves.
import { closeSync, openSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  AttachType, BpfError, FdObject, Cmd, cmdName, Errno, Insn, linkCreate, linkDetach, linkUpdate, mapCreate, mapInfoByFd,
  mapLookupElem, MapType, objGetInfoByFd, objPin, progInfoByFd, progLoad, ProgType, progAssocStructOps, SyscallError,
} from "../../mod.ts";
import { itPriv } from "../helpers/env.ts";
import { bpfError } from "../helpers/expect.ts";
import { own } from "../helpers/fds.ts";
import { tempMount } from "../helpers/fs.ts";

const ok = () => own(progLoad(ProgType.socket_filter, [Insn.mov("r0", 0), Insn.exit()]));
const CLOSED_FD = 100000;

/** A regular file's fd for the duration of `fn`. */
function withFile<T>(fn: (fd: number) => T): T {
  const fd = openSync("/proc/self/stat", "r");
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}

describe("every errno has words", () => {
  it("for every command, no BpfError message is a bare 'failed'", () => {
    const cmds = Object.values(Cmd).map(cmdName);
    for (const cmd of cmds) {
      for (const errno of [...new Set(Object.values(Errno))]) {
        const e = new BpfError(cmd, errno);
        expect(e.message, `${cmd} ${e.code}`).toMatch(new RegExp(`^bpf\\(${cmd}\\): ${e.code} \\(\\w+\\): \\w`));
        expect(e.message, `${cmd} ${e.code}`).not.toMatch(/: failed\b/);
      }
    }
  });

  it("nor a SyscallError", () => {
    for (const errno of [...new Set(Object.values(Errno))]) {
      const e = new SyscallError("mount", errno, "/x");
      expect(e.message).toMatch(new RegExp(`^mount: ${e.code}: \\w.* \\[/x\\]$`));
      expect(e.message).not.toMatch(/: failed\b/);
    }
  });

  it("EINTR says a signal interrupted the command", () => {
    expect(new BpfError("prog_load", Errno.EINTR).message).toBe(
      "bpf(prog_load): EINTR (Interrupted): interrupted by a signal before the command finished; it is safe to retry",
    );
  });

  it("EMFILE and ENFILE name the library's fds, the GC's count, and close()/using", () => {
    const { open, collected } = FdObject.fdCensus();
    for (const errno of [Errno.EMFILE, Errno.ENFILE]) {
      const e = new BpfError("map_create", errno);
      expect(e.message).toMatch(errno === Errno.EMFILE ? /RLIMIT_NOFILE \(ulimit -n\)/ : /fs\.file-max/);
      expect(e.message).toContain(`tsbpf objects hold ${open} fd${open === 1 ? "" : "s"} open now`);
      expect(e.message).toContain(`the GC has closed ${collected} of dropped ones`);
      expect(e.message).toMatch(/close\(\).*`using`/);
      expect(new SyscallError("open", errno).message).toContain(`tsbpf objects hold ${open}`);
    }
  });

  it("per-command meanings: a missing key, a frozen map, nothing pinned, no such id", () => {
    expect(new BpfError("map_lookup_elem", Errno.ENOENT).message).toMatch(/NotFound\): no element with this key$/);
    expect(new BpfError("map_update_elem", Errno.EPERM).message).toMatch(/frozen or read-only/);
    expect(new BpfError("obj_get", Errno.ENOENT).message).toMatch(/nothing is pinned at this path$/);
    expect(new BpfError("map_get_fd_by_id", Errno.ENOENT).message).toMatch(/no object with this id$/);
    expect(new BpfError("map_update_elem", Errno.E2BIG).message).toMatch(/max_entries/);
  });
});

describe("an fd that is not what the command takes", () => {
  itPriv("a regular file given as a map: 'fd N is not a BPF map (it is <path>)'", () => {
    withFile((fd) => {
      const e = bpfError(() => mapInfoByFd(fd));
      expect(e.code).toBe("EINVAL");
      expect(e.message).toMatch(new RegExp(`: fd ${fd} is not a BPF map \\(it is /proc/\\d+/stat\\)`));
      // The element calls look too, on their error path only.
      expect(bpfError(() => mapLookupElem(fd, new Uint8Array(4), new Uint8Array(4))).message).toMatch(new RegExp(`map fd ${fd} is not a BPF map \\(it is /proc/\\d+/stat\\)`));
    });
  });

  itPriv("a map where a program belongs, and a closed fd", () => {
    const m = own(mapCreate(MapType.array, 4, 4, 1));
    withFile((fd) => {
      expect(bpfError(() => progInfoByFd(fd)).message).toMatch(new RegExp(`fd ${fd} is not a BPF program \\(it is /proc/\\d+/stat\\)`));
    });
    expect(bpfError(() => objGetInfoByFd(CLOSED_FD, new Uint8Array(64))).message).toContain(`fd ${CLOSED_FD} is not open`);
    expect(bpfError(() => linkDetach(m)).message).toContain(`link fd ${m} is not a BPF link (it is a BPF map)`);
    expect(bpfError(() => linkUpdate(CLOSED_FD, ok())).message).toContain(`link fd ${CLOSED_FD} is not open`);
    expect(bpfError(() => progAssocStructOps(m, m)).message).toContain(`program fd ${m} is not a BPF program (it is a BPF map)`);
  });

  itPriv("pinning a regular file's fd", () => {
    const fs = tempMount("bpf");
    try {
      withFile((fd) => {
        const e = bpfError(() => objPin(fd, `${fs.dir}/f`));
        expect(e.message).toMatch(new RegExp(`fd ${fd} is not a BPF map, program or link \\(it is /proc/\\d+/stat\\)`));
      });
    } finally {
      fs.unmount();
    }
  });
});

describe("link_create names the program, the target and the attach type", () => {
  itPriv("target fd and attach type by name; a closed target is said to be", () => {
    const prog = ok();
    const e = bpfError(() => linkCreate(prog, CLOSED_FD, AttachType.cgroup_inet_ingress));
    expect(e.message).toContain(`[program fd ${prog}, target fd ${CLOSED_FD}, attach type cgroup_inet_ingress (0)]`);
    expect(e.message).toContain(`target fd ${CLOSED_FD} is not open`);
  });

  itPriv("an ifindex target for xdp, and a program fd that is a file", () => {
    const prog = ok();
    const e = bpfError(() => linkCreate(prog, 0x7ffff, AttachType.xdp));
    expect(e.message).toContain(`[program fd ${prog}, target ifindex ${0x7ffff}, attach type xdp (${AttachType.xdp})]`);
    withFile((fd) => {
      expect(bpfError(() => linkCreate(fd, CLOSED_FD, AttachType.cgroup_inet_ingress)).message)
        .toMatch(new RegExp(`program fd ${fd} is not a BPF program \\(it is /proc/\\d+/stat\\)`));
    });
  });
});

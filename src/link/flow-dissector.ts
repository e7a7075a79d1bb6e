/**
 * A flow dissector through BPF_PROG_ATTACH (Linux 4.20), the way of kernels before netns links
 * (5.8): attachNetns's fallback. The kernel puts it on the network namespace of the calling
 * thread - not on one given by fd - and BPF_PROG_DETACH takes it off the caller's namespace
 * again; so the target must be the calling thread's namespace, and detaching must happen from a
 * thread in it. Both are checked (the namespaces compared by inode) and said plainly.
 * @module
 */
import { AttachType, LinkType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { close as closeFd } from "../cmd/fd.ts";
import { progAttach, progDetach, progQuery } from "../cmd/prog.ts";
import { BpfError } from "../errors.ts";
import { closeQuietly, openRead } from "../sys/file.ts";
import { fdTarget, readTextFile } from "../sys/syscalls.ts";
import { type Attachment, type AttachmentOps, dupFd, holdProgram, makeAttachment } from "./attachment.ts";
import { programText } from "./link.ts";
import { ATTACH_VERSIONS } from "./needs.ts";
import type { ProgramRef } from "./socket-filter.ts";

const TYPE = AttachType.flow_dissector;

/** The inode of the network namespace open on `fd`: from its name ("net:[4026531992]") or, 5.14+, its fdinfo; undefined where neither says. */
function netnsIno(fd: number): number | undefined {
  const m = /^net:\[(\d+)\]$/.exec(fdTarget(fd) ?? "");
  if (m) return Number(m[1]);
  try {
    const ino = /^ino:\s*(\d+)/m.exec(readTextFile(`/proc/self/fdinfo/${fd}`));
    return ino ? Number(ino[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The inode of the calling thread's network namespace. */
function threadNetnsIno(): number {
  const fd = openRead("/proc/thread-self/ns/net");
  try {
    const ino = netnsIno(fd);
    if (ino === undefined) throw new Error("/proc/thread-self/ns/net names no network namespace");
    return ino;
  } finally {
    closeQuietly(fd);
  }
}

/**
 * Attaches flow dissector `progFd` with BPF_PROG_ATTACH to the calling thread's network
 * namespace, which must be the one open on `netnsFd` (`where` names it): an Attachment that
 * close() detaches, from a thread in that namespace. EEXIST where the namespace has a flow
 * dissector already (the kernel's BPF_PROG_ATTACH would replace it silently; BPF_PROG_QUERY tells).
 */
export function flowDissectorAttach(prog: ProgramRef, progFd: number, netnsFd: number, where: string): Attachment {
  const here = threadNetnsIno();
  const there = netnsIno(netnsFd);
  const how = `BPF_PROG_ATTACH puts a flow dissector on the calling thread's own network namespace (net:[${here}])`;
  if (there === undefined) {
    throw new TypeError(`${how}, and this kernel does not tell whether ${where} is that one (no inode in its fdinfo before 5.14): give /proc/thread-self/ns/net`);
  }
  if (there !== here) {
    throw new TypeError(`${how}, not on ${where} (net:[${there}]): call it from a thread inside that namespace (setns(2)), or use a kernel with flow dissector links (${ATTACH_VERSIONS.netns_link.version}+)`);
  }
  let attached = 0;
  try {
    attached = progQuery(netnsFd, TYPE, { max: 1 }).count;
  } catch {
    // no query of flow dissectors here: the attach replaces what is there
  }
  if (attached > 0) throw new BpfError("prog_attach", Errno.EEXIST, { context: `${where} has a flow dissector already` });
  const held = holdProgram(progFd);
  let ownFd = -1;
  try {
    ownFd = dupFd(netnsFd, "network namespace fd");
    progAttach(0, progFd, TYPE); // target_fd must be 0: the namespace is the caller's
  } catch (e) {
    closeFd(held.progFd);
    if (ownFd >= 0) closeFd(ownFd);
    throw e;
  }
  const blocked = (): string | null => {
    const now = threadNetnsIno();
    return now === here ? null : `the calling thread is in network namespace net:[${now}], not net:[${here}] where it was attached: detach it from a thread inside that one`;
  };
  const ops: AttachmentOps = {
    detach: (fd) => progDetach(0, fd, TYPE),
    replace: (newFd) => {
      const why = blocked();
      if (why !== null) throw new TypeError(why);
      progAttach(0, newFd, TYPE);
    },
    release: () => {},
    blocked,
  };
  return makeAttachment({
    fd: ownFd, what: `netns flow_dissector attachment (BPF_PROG_ATTACH) of ${programText(prog)} on ${where}`, linkType: LinkType.netns, via: "prog_attach",
    progFd: held.progFd, progId: held.progId, ops, linkNeeds: ATTACH_VERSIONS.netns_link,
    info: (progId) => ({ id: 0, progId, linkType: LinkType.netns, type: "netns", netnsIno: here, attachType: TYPE }),
  });
}

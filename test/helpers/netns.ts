/**
 * Networks and cgroups for the network attach tests, made by the test and removed by it: network
 * namespaces named tsbpf-<pid>-<tag> (`ip netns add`), traffic sent from inside one (bash's
 * /dev/udp under `nsenter --net`), a thread of this process moved into one for a call that acts
 * on "the current namespace" (setns(2) on this thread, and back), and cgroup v2 directories
 * under the host's cgroup2 mount. Nothing is made in the host's own network namespace.
 */
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { BpfProgram, getBackend, Insn, linuxArch, program, type ProgramSpec, syscallNumbers } from "../../mod.ts";
import { closeQuietly } from "../../src/sys/file.ts";
import { sendto, Sock, sockaddrIn, socket } from "../../src/sys/socket.ts";
import type { Counts } from "../link/counter.ts";
import { isRoot } from "./env.ts";

const CLONE_NEWNET = 0x40000000;
const SETNS = syscallNumbers(linuxArch(process.arch)).setns;

function have(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Why network namespace tests cannot run here (no ip, nsenter or bash), or null. */
export function netnsMissing(): string | null {
  if (!isRoot) return null; // itPriv says why
  const lacking = ["ip", "nsenter", "bash"].filter((t) => !have(t));
  return lacking.length ? `needs ${lacking.join(", ")} to make a network namespace and send traffic in it` : null;
}

/** A network namespace this test made; remove() deletes it (and every interface in it). */
export class TestNetns {
  /** Its name under /run/netns. */
  readonly name: string;
  /** Its bind mount, /run/netns/<name>. */
  readonly path: string;

  private constructor(name: string) {
    this.name = name;
    this.path = `/run/netns/${name}`;
  }

  /** `ip netns add tsbpf-<pid>-<tag>`, with its loopback up. */
  static create(tag: string): TestNetns {
    const ns = new TestNetns(`tsbpf-${process.pid}-${tag}`);
    if (existsSync(ns.path)) execFileSync("ip", ["netns", "del", ns.name]); // a leftover of a crashed run of this pid
    execFileSync("ip", ["netns", "add", ns.name]);
    ns.ip("link", "set", "lo", "up");
    return ns;
  }

  /** `ip -n <name> ...`: its output. */
  ip(...args: string[]): string {
    return execFileSync("ip", ["-n", this.name, ...args], { encoding: "utf8" });
  }

  /** Runs bash `script` inside the namespace (nsenter, which leaves /sys and cgroups as they are): its output. */
  sh(script: string): string {
    return execFileSync("nsenter", [`--net=${this.path}`, "bash", "-c", script], { encoding: "utf8" });
  }

  /**
   * Sends `n` UDP datagrams to `dst`:`port` from inside the namespace, each from a new socket; from
   * a process in cgroup `cgroup` (a cgroup v2 directory) when given.
   */
  udp(dst: string, n: number, opts: { port?: number; cgroup?: string } = {}): void {
    const move = opts.cgroup ? `echo $$ > ${opts.cgroup}/cgroup.procs || exit 1; ` : "";
    this.sh(`${move}for i in $(seq ${n}); do echo x > /dev/udp/${dst}/${opts.port ?? 9} || exit 1; done`);
  }

  /**
   * Sends `n` UDP datagrams to `dst`:`port` from this thread, moved into the namespace, through one
   * unconnected socket: no socket hash rides on them, so the kernel dissects each anew to hash it.
   */
  udpFromHere(dst: string, n: number, port = 9): void {
    this.enter(() => {
      const fd = socket(Sock.AF_INET, Sock.SOCK_DGRAM);
      try {
        const to = sockaddrIn(dst, port);
        for (let i = 0; i < n; i++) sendto(fd, new Uint8Array(1), to);
      } finally {
        closeQuietly(fd);
      }
    });
  }

  /** A veth pair inside the namespace, both ends up; their ifindexes there. */
  veth(a: string, b: string, opts: string[] = []): { a: number; b: number } {
    this.ip("link", "add", a, ...opts, "type", "veth", "peer", "name", b);
    this.ip("link", "set", a, "up");
    this.ip("link", "set", b, "up");
    return { a: this.ifindex(a), b: this.ifindex(b) };
  }

  /** The ifindex of interface `dev` in the namespace. */
  ifindex(dev: string): number {
    return Number(/^(\d+):/.exec(this.ip("-o", "link", "show", "dev", dev))![1]);
  }

  /** The MAC address of `dev`. */
  mac(dev: string): string {
    return /link\/ether ([0-9a-f:]+)/.exec(this.ip("-o", "link", "show", "dev", dev))![1];
  }

  /**
   * Runs `fn` with this thread moved into the namespace (setns), then moves it back: for the
   * calls that act on the calling thread's namespace (netfilter links, ifindexes, interface names).
   */
  enter<T>(fn: () => T): T {
    const b = getBackend();
    const home = openSync("/proc/thread-self/ns/net", "r");
    const there = openSync(this.path, "r");
    try {
      const rc = b.syscall(SETNS, there, CLONE_NEWNET);
      if (rc < 0) throw new Error(`setns into ${this.path}: errno ${-rc}`);
      try {
        return fn();
      } finally {
        const back = b.syscall(SETNS, home, CLONE_NEWNET);
        if (back < 0) throw new Error(`setns back to the test's network namespace: errno ${-back}`);
      }
    } finally {
      closeSync(home);
      closeSync(there);
    }
  }

  /** `ip netns del`: the namespace goes once nothing holds it (links on its interfaces go with them). */
  remove(): void {
    if (existsSync(this.path)) execFileSync("ip", ["netns", "del", this.name]);
  }
}

/** The cgroup v2 mount point from /proc/mounts (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts), or null. */
export function cgroup2Root(): string | null {
  for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
    const [, dir, type] = line.split(" ");
    if (type === "cgroup2") return dir;
  }
  return null;
}

/** A cgroup v2 directory this test made, tsbpf-<pid>-<tag> under the cgroup2 mount; remove() deletes it once empty. */
export class TestCgroup {
  /** Its path. */
  readonly path: string;

  private constructor(path: string) {
    this.path = path;
  }

  /** mkdir under the cgroup2 mount (which the caller checked exists). */
  static create(tag: string): TestCgroup {
    const root = cgroup2Root();
    if (root === null) throw new Error("no cgroup2 mount in /proc/mounts");
    const path = join(root, `tsbpf-${process.pid}-${tag}`);
    if (!existsSync(path)) mkdirSync(path);
    return new TestCgroup(path);
  }

  /** rmdir, retried while the processes the test ran in it finish leaving (EBUSY). */
  remove(): void {
    for (let i = 0; ; i++) {
      try {
        if (existsSync(this.path)) rmdirSync(this.path);
        return;
      } catch (e) {
        if (i >= 50) throw e;
        execFileSync("sleep", ["0.02"]);
      }
    }
  }
}

/**
 * A program of `spec`'s type that adds 1 to counts[0] on every run and returns `ret`: inside a
 * namespace or cgroup only this test uses, every run is the test's own traffic.
 */
export function netCounter(counts: Counts, spec: Omit<ProgramSpec, "insns" | "maps">, ret: number): BpfProgram {
  const insns = program()
    .emit(Insn.st("word", "r10", -4, 0), Insn.mov("r2", "r10"), Insn.add("r2", -4))
    .ldMap("r1", "counts")
    .emit(Insn.call("map_lookup_elem"))
    .jmp("jeq", "r0", 0, "out")
    .emit(Insn.mov("r1", 1), Insn.xadd("r0", "r1"))
    .label("out")
    .emit(Insn.mov("r0", ret), Insn.exit())
    .finish();
  return BpfProgram.load({ name: "net_counter", ...spec, insns, maps: { counts } });
}

/**
 * tracefs: where it is mounted (from /proc/self/mountinfo, checked by its magic), mounting it at
 * /sys/kernel/tracing when nothing has (many hosts leave it unmounted), tracepoint ids
 * (events/<group>/<name>/id), and reading and appending to its control files (kprobe_events).
 * @module
 */
import { Errno } from "../uapi/errno.gen.ts";
import { FeatureError, SyscallError } from "../errors.ts";
import { checkFd } from "../util/args.ts";
import { cStringAt } from "../util/text.ts";
import { cString } from "./attr.ts";
import { getBackend, keepAlive } from "./backend.ts";
import { closeQuietly, openRead, readToEnd } from "./file.ts";
import { syscallNumbers } from "./nr.ts";
import { fsType } from "./statfs.ts";

/** TRACEFS_MAGIC (include/uapi/linux/magic.h). */
export const TRACEFS_MAGIC = 0x74726163;
/** DEBUGFS_MAGIC: older kernels show tracefs under debugfs/tracing. */
export const DEBUGFS_MAGIC = 0x64626720;

/** Where tracefs is mounted when this library mounts it (libbpf's and cilium/ebpf's first choice). */
export const TRACEFS_DEFAULT = "/sys/kernel/tracing";

const AT_FDCWD = -100;
const O_WRONLY = 1;
const O_APPEND = 0o2000;
const O_CLOEXEC = 0o2000000;

let root: string | undefined;

/** A mount point of /proc/self/mountinfo with its octal escapes (\040 for a space) undone. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The mount points of `fstype` in /proc/self/mountinfo, in mount order. */
export function mountPoints(fstype: string): string[] {
  const fd = openRead("/proc/self/mountinfo");
  let text: string;
  try {
    text = cStringAt(readToEnd(fd, 0, "/proc/self/mountinfo"));
  } finally {
    closeQuietly(fd);
  }
  const out: string[] = [];
  for (const line of text.split("\n")) {
    // id parent major:minor root mountpoint options [optional fields...] - fstype source superopts
    const dash = line.indexOf(" - ");
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(" ");
    if (line.slice(dash + 3).split(" ")[0] === fstype && left.length >= 5) out.push(unescape(left[4]));
  }
  return out;
}

function isTracefs(dir: string): boolean {
  return fsType(dir) === TRACEFS_MAGIC && fsType(`${dir}/events`) >= 0;
}

function find(): string | undefined {
  const mounted = mountPoints("tracefs");
  const preferred = [TRACEFS_DEFAULT, ...mounted.filter((d) => d !== TRACEFS_DEFAULT)];
  for (const d of preferred) if (mounted.includes(d) && isTracefs(d)) return d;
  // Before 4.1, and where only debugfs is mounted, tracefs appears at <debugfs>/tracing (an automount).
  for (const d of mountPoints("debugfs")) if (isTracefs(`${d}/tracing`)) return `${d}/tracing`;
  return undefined;
}

/** mount -t tracefs tracefs <dir>. */
function mountTracefs(dir: string): void {
  const b = getBackend();
  const src = cString("tracefs");
  const target = cString(dir);
  const rc = b.syscall(syscallNumbers(b.arch).mount, b.address(src), b.address(target), b.address(src), 0, 0);
  keepAlive(src, target);
  if (rc === 0 || rc === -Errno.EBUSY) return;
  const e = new SyscallError("mount", -rc, `tracefs on ${dir}`);
  if (rc === -Errno.ENODEV) throw new FeatureError("tracefs", e, { version: "4.1", config: "CONFIG_TRACING" });
  throw new Error(`no tracefs is mounted, and mounting one failed (${e.message}): mount it with \`mount -t tracefs tracefs ${dir}\` as root`, { cause: e });
}

/**
 * The tracefs root: where /proc/self/mountinfo says it is mounted (re-checked by its magic on each
 * call, in case it was unmounted), else mounted at /sys/kernel/tracing now, as root can.
 */
export function tracefsRoot(): string {
  if (root !== undefined && isTracefs(root)) return root;
  root = find();
  if (root !== undefined) return root;
  mountTracefs(TRACEFS_DEFAULT);
  if (!isTracefs(TRACEFS_DEFAULT)) throw new Error(`mounted tracefs on ${TRACEFS_DEFAULT}, but it has no events/ directory`);
  return (root = TRACEFS_DEFAULT);
}

/** Whether `rel` exists under the tracefs root. */
export function tracefsHas(rel: string): boolean {
  return fsType(`${tracefsRoot()}/${rel}`) >= 0;
}

/** A tracefs file (relative to the root) as text; a SyscallError naming the path. */
export function readTracefs(rel: string): string {
  const path = `${tracefsRoot()}/${rel}`;
  const fd = openRead(path);
  try {
    return cStringAt(readToEnd(fd, 0, path));
  } finally {
    closeQuietly(fd);
  }
}

/**
 * Appends `line` to the tracefs control file `rel` (kprobe_events, uprobe_events) in one write(2),
 * as the kernel parses each write as one command. A SyscallError names the file and the line.
 */
export function appendTracefs(rel: string, line: string): void {
  const path = `${tracefsRoot()}/${rel}`;
  const b = getBackend();
  const n = syscallNumbers(b.arch);
  const p = cString(path);
  const fd = b.syscall(n.openat, AT_FDCWD, b.address(p), O_WRONLY | O_APPEND | O_CLOEXEC, 0);
  keepAlive(p);
  if (fd < 0) throw new SyscallError("open", -fd, path);
  try {
    const text = cString(line);
    const rc = b.syscall(n.write, checkFd(fd), b.address(text), text.length - 1);
    keepAlive(text);
    if (rc < 0) throw new SyscallError("write", -rc, `${JSON.stringify(line)} to ${path}`);
  } finally {
    closeQuietly(fd);
  }
}

const NAME = /^[A-Za-z0-9_.-]+$/;

/** A tracefs event group or name as one path component, else a TypeError naming `what`. */
export function checkEventName(s: unknown, what: string): string {
  if (typeof s !== "string" || !NAME.test(s) || s === "." || s === "..") {
    throw new TypeError(`${what} must be a tracefs event name (letters, digits, _ . -), got ${JSON.stringify(s)}`);
  }
  return s;
}

/**
 * The id of tracepoint `group`/`name` (events/<group>/<name>/id), what perf_event_open takes as
 * PERF_TYPE_TRACEPOINT's config. A missing tracepoint is an Error that says where to look.
 */
export function tracepointId(group: string, name: string): number {
  checkEventName(group, "tracepoint group");
  checkEventName(name, "tracepoint name");
  const rel = `events/${group}/${name}/id`;
  let text: string;
  try {
    text = readTracefs(rel);
  } catch (e) {
    if (e instanceof SyscallError && e.errno === Errno.ENOENT) {
      const where = tracefsHas(`events/${group}`) ? `group ${group} has no event ${name}` : `there is no event group ${group}`;
      throw new Error(`no tracepoint ${group}:${name}: ${where} (see ${tracefsRoot()}/available_events)`, { cause: e });
    }
    throw e;
  }
  const id = Number(text.trim());
  if (!Number.isInteger(id) || id < 0) throw new Error(`${tracefsRoot()}/${rel} holds ${JSON.stringify(text)}, not an event id`);
  return id;
}

/** `s` with every character a tracefs event name cannot hold replaced by "_" (kprobe event names from symbols). */
export function sanitizeEventName(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, "_");
}

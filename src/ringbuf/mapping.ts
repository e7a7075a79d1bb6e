/**
 * The memory of a BPF ring buffer (kernel/bpf/ringbuf.c), mapped as the kernel allows it: the
 * consumer page at offset 0, then the producer page followed by the data area, which the kernel
 * maps twice in a row so that a record running past the end reads on without a break. For a
 * kernel-produced ring (BPF_MAP_TYPE_RINGBUF) only the consumer page may be writable; for a
 * user-produced one (BPF_MAP_TYPE_USER_RINGBUF) it is the other way round.
 * @module
 */
import { MapType } from "../uapi/enums.gen.ts";
import { SyscallError } from "../errors.ts";
import { type Backend, getBackend } from "../sys/backend.ts";
import { admitFd } from "../sys/fd-reserve.ts";
import { MapFlag, mmapFd, munmap, Prot } from "../sys/mmap.ts";
import { syscallNumbers } from "../sys/nr.ts";
import { pageSize } from "../sys/page-size.ts";
import { sysClose } from "../sys/syscalls.ts";
import { forgetFd } from "../sys/wait.ts";
import { checkFd } from "../util/args.ts";
import { type BpfMapInfo, mapInfo } from "../map/info.ts";
import { mapTypeName } from "../map/types.ts";

/** A ring buffer map: a BpfMap (or anything with its fd), or the fd itself. */
export type RingMapLike = number | { readonly fd: number };

/** The largest data area handled: its double mapping then stays within one typed array's int32 offsets. */
export const MAX_RING_BYTES: number = 1 << 30;

/**
 * A duplicate (F_DUPFD_CLOEXEC) of the fd of `map`, checked to be a map of `type` (and by `check`,
 * before the duplicate is made): the reader or writer owns it, independently of the map object it
 * came from. The perf buffer reader (perf/reader.ts) takes its map the same way.
 */
export function ownMapFd(map: RingMapLike, type: number, who: string, check?: (info: BpfMapInfo) => void): { fd: number; info: BpfMapInfo } {
  const src = typeof map === "number" ? map : typeof map === "object" && map !== null && typeof map.fd === "number" ? map.fd : undefined;
  if (src === undefined) throw new TypeError(`${who}: expects a ${mapTypeName(type)} map (a BpfMap or an fd), got ${String(map)}`);
  checkFd(src, "map fd");
  const info = mapInfo(src);
  if (info.type !== type) {
    throw new TypeError(`${who}: map ${info.name ? `"${info.name}" ` : ""}(fd ${src}) is a ${mapTypeName(info.type)} map, not ${mapTypeName(type)}`);
  }
  check?.(info);
  const b = getBackend();
  const fd = b.syscall(syscallNumbers(b.arch).fcntl, src, 1030 /* F_DUPFD_CLOEXEC */, 0);
  if (fd < 0) throw new SyscallError("fcntl", -fd, `F_DUPFD_CLOEXEC of map fd ${src}`);
  return { fd: admitFd("fcntl", fd), info };
}

/** ownMapFd for a ring buffer of `type`, whose data area (max_entries) must stay within MAX_RING_BYTES. */
export function ownRingFd(map: RingMapLike, type: number, who: string): { fd: number; size: number; name: string } {
  const { fd, info } = ownMapFd(map, type, who, (i) => {
    if (i.maxEntries > MAX_RING_BYTES) throw new RangeError(`${who}: rings over ${MAX_RING_BYTES} bytes are not supported (this one has ${i.maxEntries})`);
  });
  return { fd, size: info.maxEntries, name: info.name };
}

/** The two mappings of a ring and typed views over them. */
export interface RingMemory {
  /** The consumer page: consumer_pos (unsigned long) at 0, as int32 halves. */
  readonly consumer: Int32Array;
  /** The producer page: producer_pos at 0. */
  readonly producer: Int32Array;
  /** The data area and its second mapping, 2 * size bytes. */
  readonly bytes: Uint8Array;
  /** The same, as int32s (record headers are 8-byte aligned). */
  readonly words: Int32Array;
  /** The same, as a DataView. */
  readonly view: DataView;
  /**
   * Lets go of the ring: both regions become anonymous zero pages in place, so that views still
   * held read zeros instead of faulting, and are unmapped once the garbage collector has taken
   * every view of them.
   */
  release(): void;
}

interface Region {
  addr: number;
  len: number;
}

const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
// Zero pages left behind for stale views commit no swap: an arena's can span 4 GiB.
const MAP_NORESERVE = 0x4000;

// Each region is unmapped when the ArrayBuffer over it is collected: not before, as a view of it
// may outlive the reader (a record kept after close()).
const unmapLater = new FinalizationRegistry<Region>((r) => {
  try {
    munmap(getBackend(), r.addr, r.len);
  } catch {
    // nothing to tell anyone at this point
  }
});

// `mapping` is what to unmap once the buffer is collected: the view itself unless given.
function region(b: Backend, addr: number, len: number, mapping: Region = { addr, len }): ArrayBuffer {
  const ab = b.view!(addr, len);
  unmapLater.register(ab, mapping);
  return ab;
}

function zeroOver(b: Backend, r: Region, prot: number): void {
  const got = b.syscall(syscallNumbers(b.arch).mmap, r.addr, r.len, prot, MapFlag.private | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  if (got !== r.addr) throw new SyscallError("mmap", got < 0 && got > -4096 ? -got : 0, `zero pages over ${r.len} mapped bytes at 0x${r.addr.toString(16)}`);
}

function viewBackend(): Backend {
  const b = getBackend();
  if (b.view === undefined) throw new Error(`tsbpf: backend ${b.name} has no view(): a ring buffer needs a live view of mapped memory`);
  return b;
}

/** One shared mapping of a ring's fd, and how to let go of it (as RingMemory.release does). */
export interface MappedRegion {
  /** Where the mapping starts in this process (not where the buffer does, with a view). */
  readonly address: number;
  /** The mapped bytes, live. */
  readonly buffer: ArrayBuffer;
  /** Replaces the mapping with zero pages in place; unmapped once the GC has taken every view. Idempotent. */
  release(): void;
}

/** Where {@link mapRegion} maps, and whether its buffer shows the mapping. */
export interface RegionOptions {
  /** The address to map at (MAP_FIXED_NOREPLACE); the kernel chooses when absent. */
  at?: number;
  /** No view at all (an empty buffer): for pages that JavaScript must never touch. release() then unmaps them. */
  viewless?: boolean;
}

/**
 * mmap(MAP_SHARED) of `len` bytes of `fd` at `offset`, with the lifetime rules of mapRing: a perf
 * ring's pages, a global-data map, an arena.
 */
export function mapRegion(fd: number, len: number, prot: number, offset: number, what: string, options: RegionOptions = {}): MappedRegion {
  const b = viewBackend();
  const at = mmapFd(b, fd, len, prot, MapFlag.shared, offset, what, options.at);
  const r: Region = { addr: at, len };
  const viewless = options.viewless === true;
  const buffer = viewless ? new ArrayBuffer(0) : region(b, at, len);
  let live = true;
  const handle: MappedRegion = {
    address: at,
    buffer,
    release: () => {
      if (!live) return;
      live = false;
      if (!viewless) return zeroOver(b, r, prot);
      // No view can outlive it, so the pages go now (the whole mapping at once: an arena's
      // cannot be split, its may_split says EINVAL), and the finalizer below with them.
      unmapLater.unregister(handle);
      munmap(b, at, len);
    },
  };
  // With no view nothing can outlive the handle: the mapping goes with it.
  if (viewless) unmapLater.register(handle, r, handle);
  return handle;
}

/** Maps ring `fd` of `size` data bytes for its consumer side (RINGBUF) or its producer side (USER_RINGBUF). */
export function mapRing(fd: number, size: number, type: number): RingMemory {
  const b = viewBackend();
  const pg = pageSize();
  const user = type === MapType.user_ringbuf;
  const what = `${user ? "user " : ""}ring buffer`;
  const headProt = user ? Prot.read : Prot.read | Prot.write;
  const bodyProt = user ? Prot.read | Prot.write : Prot.read;
  const head: Region = { addr: mmapFd(b, fd, pg, headProt, MapFlag.shared, 0, `${what} consumer page`), len: pg };
  let body: Region;
  try {
    body = { addr: mmapFd(b, fd, pg + 2 * size, bodyProt, MapFlag.shared, pg, `${what} producer page and data`), len: pg + 2 * size };
  } catch (e) {
    munmap(b, head.addr, head.len);
    throw e;
  }
  const headAb = region(b, head.addr, head.len);
  const bodyAb = region(b, body.addr, body.len);
  let live = true;
  return {
    consumer: new Int32Array(headAb, 0, 2),
    producer: new Int32Array(bodyAb, 0, 2),
    bytes: new Uint8Array(bodyAb, pg, 2 * size),
    words: new Int32Array(bodyAb, pg, size >> 1),
    view: new DataView(bodyAb, pg, 2 * size),
    release: () => {
      if (!live) return;
      live = false;
      zeroOver(b, head, headProt);
      zeroOver(b, body, bodyProt);
    },
  };
}

/** A 64-bit ring position on a page mapped writable: an atomic load of each half. */
export function loadPosition(rw: Int32Array): number {
  return (Atomics.load(rw, 1) >>> 0) * 2 ** 32 + (Atomics.load(rw, 0) >>> 0);
}

/**
 * A 64-bit ring position on a page mapped read-only, where Atomics must not touch it (Bun's JIT
 * faults on an atomic load of read-only memory): plain reads between atomic loads of `fence`, on
 * a writable page, retried until the high half holds still.
 */
export function loadPositionFenced(ro: Int32Array, fence: Int32Array): number {
  for (;;) {
    Atomics.load(fence, 0);
    const hi = ro[1];
    const lo = ro[0];
    Atomics.load(fence, 0);
    if (ro[1] === hi) return (hi >>> 0) * 2 ** 32 + (lo >>> 0);
  }
}

/** Closes `fd` quietly: cleanup when constructing a reader or writer failed half-way. */
export function dropFd(fd: number): void {
  try {
    sysClose(fd);
  } catch {
    // best effort
  }
}

/**
 * A reader's or writer's close: its pending waits ended (forgetFd), its memory let go, then
 * `closeFd`; the later steps run even when an earlier one throws.
 */
export function closeRing(fd: number, m: RingMemory, closeFd: () => void): void {
  try {
    forgetFd(fd);
  } finally {
    m.release();
    closeFd();
  }
}

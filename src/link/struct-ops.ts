/**
 * struct_ops: a BPF_MAP_TYPE_STRUCT_OPS map - a kernel struct of function pointers
 * (tcp_congestion_ops, sched_ext_ops, ...) whose members are BPF programs - registered with the
 * kernel subsystem, as libbpf's bpf_map__attach_struct_ops does it:
 * - a map made with BPF_F_LINK (a `.struct_ops.link` section; Linux 6.4) is registered by a
 *   BPF_LINK_CREATE of the map: a BpfLink, unregistered when closed, swapped for another map of
 *   the same struct in one step by update(newMap) (BPF_LINK_UPDATE);
 * - any other (`.struct_ops`; Linux 5.6) is registered by writing its value: the handle returned
 *   unregisters it when closed (BPF_MAP_DELETE_ELEM). Such a registration belongs to the map, not
 *   to an fd: if the process dies first it stays registered (`bpftool struct_ops unregister`).
 * The value (the kernel's struct bpf_struct_ops_<name>, program fds in its function pointers) is
 * written here when Collection.load left it to attach, or given as `value`.
 * @module
 */
import { AttachType, Cmd, LinkType, MapType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { AttachFlags, MapCreateFlags } from "../uapi/flags.gen.ts";
import { LinkUpdateAttr } from "../uapi/layout.gen.ts";
import { close as closeFd } from "../cmd/fd.ts";
import { linkCreate } from "../cmd/link.ts";
import { mapDeleteElem, mapUpdateElem } from "../cmd/map.ts";
import { BpfError, FeatureError } from "../errors.ts";
import { Attr } from "../sys/attr.ts";
import { bpfRaw } from "../sys/bpf.ts";
import { type FdArg, fdError } from "../sys/fd-kind.ts";
import { BpfMap } from "../map/map.ts";
import { warn } from "../util/warn.ts";
import { dupFd } from "./attachment.ts";
import type { BpfLinkInfo } from "./info.ts";
import { attachFailed, BpfLink } from "./link.ts";
import { ATTACH_VERSIONS, kernelBelow, lacks } from "./needs.ts";

/** Options of {@link attachStructOps}. */
export interface StructOpsOptions {
  /**
   * The value to write first, in the kernel's struct bpf_struct_ops_<name> layout with program fds
   * in its function pointers: for a map Collection.load did not make (it keeps its own).
   */
  value?: Uint8Array;
}

type AnyMap = BpfMap<any, any, any, any>;

// Values Collection.load left for attach: built when asked, so that the program fds are those open then.
const deferred = new WeakMap<AnyMap, () => Uint8Array>();

/**
 * Records the value attachStructOps writes for `map` (Collection.load's, for maps registered by
 * their update): `value` is called then and gives the bytes with the programs' fds.
 */
export function deferStructOpsValue(map: BpfMap<any, any, any, any>, value: () => Uint8Array): void {
  deferred.set(map, value);
}

const ZERO_KEY = new Uint8Array(4);

function mapText(map: AnyMap): string {
  return `struct_ops map ${map.name ? JSON.stringify(map.name) : `fd ${map.fd}`}`;
}

function checkStructOps(map: unknown, what: string): AnyMap {
  if (!(map instanceof BpfMap)) throw new TypeError(`${what} must be a BpfMap, got ${map === null ? "null" : typeof map}`);
  if (map.type !== MapType.struct_ops) throw new TypeError(`${what}: ${map.typeName} map ${JSON.stringify(map.name)} is not a struct_ops map`);
  return map;
}

/**
 * Writes the map's value (the deferred one, else `given`). For a BPF_F_LINK map EBUSY means it was
 * written before (its value never changes once set): fine, as libbpf says. Returns whether it wrote.
 */
function writeValue(map: AnyMap, given: Uint8Array | undefined): boolean {
  const make = deferred.get(map);
  const value = given ?? make?.();
  if (value === undefined) return false;
  if (!(value instanceof Uint8Array)) throw new TypeError(`value must be a Uint8Array, got ${typeof value}`);
  try {
    mapUpdateElem(map.fd, ZERO_KEY, value, 0);
  } catch (e) {
    if (e instanceof BpfError && e.errno === Errno.EBUSY) {
      if (map.flags & MapCreateFlags.link) return false;
      e.message += `; ${mapText(map)} is registered already (or was unregistered: a struct_ops map registers once)`;
    }
    throw e;
  }
  deferred.delete(map);
  return true;
}

function explain(e: unknown): unknown {
  if (!(e instanceof BpfError)) return e;
  if (e.errno === Errno.EINVAL && kernelBelow(ATTACH_VERSIONS.struct_ops_link.version)) return lacks("struct_ops links", "struct_ops_link", e);
  if (e.errno === Errno.EINVAL) e.message += "; the map's value must be written first (it is, for maps of Collection.load)";
  return e;
}

/**
 * Registers struct_ops map `map` with its kernel subsystem (libbpf's bpf_map__attach_struct_ops):
 * through a link for a BPF_F_LINK map (`.struct_ops.link`), else by writing its value. Closing the
 * result unregisters it. A FeatureError names the kernel version where struct_ops (5.6) or its
 * links (6.4) are missing.
 *
 * @example
 * ```ts
 * import { attachStructOps, Collection } from "tsbpf";
 * using obj = Collection.load("tcp_ca.bpf.o");
 * using link = attachStructOps(obj.maps.my_ca); // "my_ca" now in net.ipv4.tcp_available_congestion_control
 * ```
 */
export function attachStructOps(map: BpfMap<any, any, any, any>, opts: StructOpsOptions = {}): BpfLink {
  checkStructOps(map, "attachStructOps: map");
  if (typeof opts !== "object" || opts === null) throw new TypeError("attachStructOps(map, { value? })");
  const link = (map.flags & MapCreateFlags.link) !== 0;
  const doing = `registering ${mapText(map)}${link ? " through a link" : ""}`;
  try {
    if (link) {
      writeValue(map, opts.value);
      return makeLink(linkCreate(map.fd, 0, AttachType.struct_ops), `struct_ops link of ${mapText(map)}`);
    }
    return register(map, opts.value);
  } catch (e) {
    throw attachFailed(explain(e), doing);
  }
}

const update = new Attr(LinkUpdateAttr.size);

/** BPF_LINK_UPDATE of a struct_ops link: new_map_fd, and old_map_fd with BPF_F_REPLACE. */
function linkUpdateMap(linkFd: number, newMapFd: number, oldMapFd: number | undefined): void {
  const F = LinkUpdateAttr.fields;
  update.zero(LinkUpdateAttr.size).u32(F.link_fd.off, linkFd).u32(F.new_map_fd.off, newMapFd);
  if (oldMapFd !== undefined) update.u32(F.flags.off, AttachFlags.replace).u32(F.old_map_fd.off, oldMapFd);
  const rc = bpfRaw(Cmd.link_update, update, LinkUpdateAttr.size);
  if (rc < 0) {
    const fds: FdArg[] = [[linkFd, "link", "link fd"], [newMapFd, "map", "new map fd"]];
    if (oldMapFd !== undefined) fds.push([oldMapFd, "map", "old map fd"]);
    throw fdError("link_update", -rc, `link fd ${linkFd}, new map fd ${newMapFd}${oldMapFd === undefined ? "" : `, old map fd ${oldMapFd}`}`, fds);
  }
}

/** Options of {@link StructOpsLink.update}. */
export interface StructOpsUpdateOptions {
  /** Swap only if this is the map registered now (BPF_F_REPLACE with old_map_fd). */
  oldMap?: BpfMap<any, any, any, any>;
  /** Not for struct_ops links (they hold maps, not programs): keeps the shape of BpfLink.update's options. */
  oldProgram?: never;
}

let makeLink: (fd: number, what: string) => StructOpsLink;

/** A struct_ops link (BPF_LINK_TYPE_STRUCT_OPS): its map registered while the link lives. */
export class StructOpsLink extends BpfLink {
  static {
    makeLink = (fd, what) => new StructOpsLink(fd, what);
  }

  /** Takes ownership of link fd `fd`. */
  protected constructor(fd: number, what: string) {
    super(fd, what, LinkType.struct_ops);
  }

  /**
   * BPF_LINK_UPDATE: registers `newMap` (a BPF_F_LINK map of the same struct) in place of the
   * link's map in one step (libbpf's bpf_link__update_map); with `oldMap`, only if that is the one
   * registered (EPERM otherwise).
   */
  override update(newMap: BpfMap<any, any, any, any>, opts: StructOpsUpdateOptions = {}): void {
    const doing = `updating ${this.description} to ${newMap instanceof BpfMap ? mapText(newMap) : String(newMap)}`;
    try {
      checkStructOps(newMap, "update: new map");
      if (opts.oldMap !== undefined) checkStructOps(opts.oldMap, "update: old map");
      if ((newMap.flags & MapCreateFlags.link) === 0) throw new TypeError("the new map was made without BPF_F_LINK (a .struct_ops section, not .struct_ops.link): a link takes only link maps");
      writeValue(newMap, undefined);
      linkUpdateMap(this.fd, newMap.fd, opts.oldMap?.fd);
    } catch (e) {
      throw attachFailed(explain(e), doing);
    }
  }
}

interface Held {
  what: string;
  mapFd: number;
  registered: boolean;
}

function unregister(h: Held): void {
  h.registered = false;
  try {
    mapDeleteElem(h.mapFd, ZERO_KEY);
  } catch (e) {
    // ENOENT: never registered; EINPROGRESS: unregistered meanwhile, by someone else.
    if (!(e instanceof BpfError && (e.errno === Errno.ENOENT || e.errno === Errno.EINPROGRESS))) throw e;
  }
}

// A registration outlives every fd: one dropped without close() is unregistered here.
const registrations = new FinalizationRegistry<Held>((h) => {
  try {
    if (h.registered) unregister(h);
    closeFd(h.mapFd);
  } catch {
    // gone already
  }
  warn(`${h.what} was garbage-collected without close(); unregistered it now`);
});

let makeRegistration: (fd: number, held: Held, mapId: number) => StructOpsRegistration;

/**
 * A struct_ops map registered by its value (no BPF_F_LINK), shaped as a BpfLink: close() and
 * detach() unregister it (BPF_MAP_DELETE_ELEM). Its id is 0 and it cannot be pinned or updated:
 * the kernel has no link for it. It holds its own copies of the map's fd.
 */
export class StructOpsRegistration extends BpfLink {
  /** Always false: the kernel made no bpf_link. */
  readonly isBpfLink: false = false;
  readonly #held: Held;
  readonly #mapId: number;

  static {
    makeRegistration = (fd, held, mapId) => new StructOpsRegistration(fd, held, mapId);
  }

  /** Takes ownership of `fd` and `held.mapFd` (two copies of the map's fd). */
  protected constructor(fd: number, held: Held, mapId: number) {
    super(fd, held.what, LinkType.struct_ops);
    this.#held = held;
    this.#mapId = mapId;
    registrations.register(this, held, this);
  }

  /** 0: a registration is no kernel object of its own. */
  override get id(): number {
    return 0;
  }

  /** True until detach() or close() unregistered it. */
  get registered(): boolean {
    return this.#held.registered;
  }

  /** The shape of a struct_ops link's info, from what this object knows. */
  override info(): BpfLinkInfo {
    this.fd; // throws once closed, as a link's info() does
    return { id: 0, progId: 0, linkType: LinkType.struct_ops, type: "struct_ops", mapId: this.#mapId };
  }

  /** A FeatureError: only a struct_ops link can be pinned (pin the map to keep the map). */
  override pin(_path: string): void {
    throw new FeatureError(`pinning ${this.description}`, new Error("it was registered by its map update, not through a bpf_link (a .struct_ops.link map)"), ATTACH_VERSIONS.struct_ops_link);
  }

  /** A TypeError: the kernel swaps only maps registered through links (a .struct_ops.link map and StructOpsLink.update). */
  override update(_newMap: unknown): void {
    throw new TypeError(`updating ${this.description}: a struct_ops map registered without a link cannot be swapped; close it and register another`);
  }

  /** Unregisters the map now while the object stays open; close() still releases it. Idempotent. */
  override detach(): void {
    if (!this.#held.registered) return;
    try {
      unregister(this.#held);
    } catch (e) {
      throw attachFailed(e, `unregistering ${this.description}`);
    }
  }

  /** Unregisters the map (a failure there is a warning) and closes what the object holds. Idempotent. */
  override close(): void {
    if (this.closed) return;
    const h = this.#held;
    registrations.unregister(this);
    try {
      if (h.registered) unregister(h);
    } catch (e) {
      warn(`${this.description}: ${(e as Error).message}`);
    } finally {
      closeFd(h.mapFd);
      super.close();
    }
  }
}

// The copies are made before the value is written: nothing may fail once it is registered.
function register(map: AnyMap, value: Uint8Array | undefined): StructOpsRegistration {
  const what = `${mapText(map)} (id ${map.id}), registered by its value`;
  const fds: number[] = [];
  try {
    fds.push(dupFd(map.fd, "map fd"), dupFd(map.fd, "map fd"));
    if (!writeValue(map, value)) throw new TypeError("it has no value to register: give { value } (the kernel's struct bpf_struct_ops_<name> bytes), or load it with Collection.load");
  } catch (e) {
    for (const fd of fds) closeFd(fd);
    throw e;
  }
  return makeRegistration(fds[0], { what, mapFd: fds[1], registered: true }, map.id);
}

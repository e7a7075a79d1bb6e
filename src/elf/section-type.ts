/**
 * What a BPF object's program section name means, by libbpf's SEC() table (src/uapi/sec.gen.ts):
 * the program type, expected attach type and load flags, the attach target written after the
 * prefix, and whether a leading '?' turned autoload off. Pure: names in, data out.
 * @module
 */
import type { AttachType, ProgType } from "../uapi/enums.gen.ts";
import { type SecAutoAttach, type SecDef, SEC_DEFS, SecFlag } from "../uapi/sec.gen.ts";

/** A program section name resolved against the SEC() table. */
export interface SectionProgramType {
  /** The table entry's pattern that matched ("kprobe+", "xdp.frags/devmap", ...). */
  readonly pattern: string;
  /** Program type to load as. */
  readonly type: ProgType;
  /** expected_attach_type to load with; undefined where libbpf leaves it 0 (unset). */
  readonly expectedAttachType: AttachType | undefined;
  /** The entry's raw {@link SecFlag} bits. */
  readonly flags: number;
  /** Load with BPF_F_SLEEPABLE (SEC_SLEEPABLE). */
  readonly sleepable: boolean;
  /** Load with BPF_F_XDP_HAS_FRAGS (SEC_XDP_FRAGS). */
  readonly xdpFrags: boolean;
  /** The target is a BTF name to resolve to attach_btf_id (SEC_ATTACH_BTF). */
  readonly attachBtf: boolean;
  /** Drop the expected attach type on kernels that reject one (SEC_EXP_ATTACH_OPT). */
  readonly expAttachOptional: boolean;
  /** A USDT probe: libbpf loads it as uprobe_multi where the kernel has those links (SEC_USDT). */
  readonly usdt: boolean;
  /** False when the name began with '?': libbpf opens the program but does not load it by default. */
  readonly autoload: boolean;
  /**
   * What follows the prefix: after the '/' of a "x+" pattern ("do_sys_open" of "kprobe/do_sys_open"),
   * the rest after a "x/" pattern; undefined for exact names and a bare "x" of "x+".
   */
  readonly attachTarget: string | undefined;
  /** How libbpf's bpf_program__attach() would attach it; undefined when it cannot. */
  readonly autoAttach: SecAutoAttach | undefined;
}

/**
 * Whether section `name` matches table `pattern`, by libbpf's sec_def_matches(): a pattern ending
 * in '/' matches names starting with it, one ending in '+' the name without the '+' or that name
 * followed by '/', any other pattern only itself.
 */
export function secDefMatches(pattern: string, name: string): boolean {
  if (pattern.endsWith("/")) return name.startsWith(pattern);
  if (pattern.endsWith("+")) {
    const base = pattern.slice(0, -1);
    return name === base || name.startsWith(`${base}/`);
  }
  return name === pattern;
}

/**
 * The first entry of `defs` (libbpf's table by default) that `name` matches, as libbpf's
 * find_sec_def() and libbpf_prog_type_by_name() look it up: no '?' handling, so "?xdp" is unknown.
 */
export function findSecDef(name: string, defs: readonly SecDef[] = SEC_DEFS): SecDef | undefined {
  return defs.find((d) => secDefMatches(d.pattern, name));
}

/**
 * What program section `name` stands for, as libbpf reads it when it opens an object: one leading
 * '?' is dropped (and turns autoload off), then the first matching entry of the SEC() table wins.
 * Undefined for a name the table does not know.
 */
export function sectionProgramType(name: string): SectionProgramType | undefined {
  const autoload = !name.startsWith("?");
  const sec = autoload ? name : name.slice(1);
  const def = findSecDef(sec);
  if (def === undefined) return undefined;
  const p = def.pattern;
  // "x+" has a target only in its x/<target> form; "x/" always has one (possibly empty).
  const attachTarget = p.endsWith("+") ? (sec.length > p.length - 1 ? sec.slice(p.length) : undefined)
    : p.endsWith("/") ? sec.slice(p.length) : undefined;
  return {
    pattern: p,
    type: def.type,
    expectedAttachType: def.expectedAttachType,
    flags: def.flags,
    sleepable: (def.flags & SecFlag.sleepable) !== 0,
    xdpFrags: (def.flags & SecFlag.xdpFrags) !== 0,
    attachBtf: (def.flags & SecFlag.attachBtf) !== 0,
    expAttachOptional: (def.flags & SecFlag.expAttachOpt) !== 0,
    usdt: (def.flags & SecFlag.usdt) !== 0,
    autoload,
    attachTarget,
    autoAttach: def.autoAttach,
  };
}

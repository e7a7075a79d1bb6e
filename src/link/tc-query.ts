/**
 * The tc filters on an interface's clsact hook (RTM_GETTFILTER, a dump), as `tc filter show dev
 * X ingress` and `bpftool net show` list them: priority, handle, protocol, kind, and for cls_bpf
 * filters the program's id, tag and name and whether it acts directly; libbpf's bpf_tc_query
 * asks for one of them.
 * @module
 */
import { NetlinkSocket } from "../sys/netlink.ts";
import { attrString, attrU32, NlmF, type NlMessage, parseAttrs } from "../sys/netlink-msg.ts";
import { HOST_LITTLE } from "../util/endian.ts";
import { hexBytes } from "../util/text.ts";
import { attachFailed } from "./link.ts";
import {
  clsactParent, RTM_GETTFILTER, RTM_NEWTFILTER, TCA_BPF_FLAG_ACT_DIRECT, TCA_BPF_FLAGS, TCA_BPF_ID, TCA_BPF_NAME, TCA_BPF_TAG, TCA_CHAIN,
  TCA_KIND, TCA_OPTIONS, readTcmsg, tcmsg, TCMSG_SIZE,
} from "./tc-msg.ts";
import type { TcDirection } from "./tc.ts";
import { type NetInterface, resolveInterface } from "./xdp.ts";

/** A cls_bpf filter's program, as the filter reports it. */
export interface TcBpfProgram {
  /** TCA_BPF_ID: the program's id (0 from kernels before 4.13, which do not say). */
  readonly id: number;
  /** TCA_BPF_NAME: the name the filter was given (attachTc gives the program's name, tc(8) the object's file and section). */
  readonly name: string;
  /** TCA_BPF_TAG: the program's tag, as hex ("" where the kernel does not say). */
  readonly tag: string;
  /** TCA_BPF_FLAG_ACT_DIRECT: the program's return value is the tc action. */
  readonly directAction: boolean;
}

/** One filter on a clsact hook. */
export interface TcFilter {
  /** Its priority (tcm_info's high half): lower runs first. */
  readonly priority: number;
  /** Its handle within the priority. */
  readonly handle: number;
  /** The protocol it matches, an ETH_P_* value (3, ETH_P_ALL, for every packet). */
  readonly protocol: number;
  /** TCA_CHAIN: its chain (0 for the first). */
  readonly chain: number;
  /** TCA_KIND: the classifier ("bpf", "u32", "flower", ...). */
  readonly kind: string;
  /** For a cls_bpf filter ("bpf"), its program; undefined for other classifiers. */
  readonly bpf?: TcBpfProgram;
}

/**
 * The filters on `direction` ("ingress" or "egress") of interface `iface`'s clsact qdisc, in the
 * order the kernel runs them (by chain, then priority); none where the interface has no clsact
 * qdisc. Names resolve in the calling thread's network namespace.
 *
 * @example
 * ```ts
 * import { queryTc } from "tsbpf";
 * for (const f of queryTc("eth0", "ingress")) console.log(f.priority, f.kind, f.bpf?.id);
 * ```
 */
export function queryTc(iface: NetInterface, direction: TcDirection): TcFilter[] {
  if (direction !== "ingress" && direction !== "egress") throw new TypeError(`tc direction must be "ingress" or "egress", got ${JSON.stringify(direction)}`);
  const { ifindex, text } = resolveInterface(iface);
  const out: TcFilter[] = [];
  try {
    using sock = NetlinkSocket.open();
    const w = sock.request(RTM_GETTFILTER, NlmF.dump);
    tcmsg(w, ifindex, 0, clsactParent(direction), 0);
    sock.transact("RTM_GETTFILTER", (m: NlMessage) => {
      const f = decodeFilter(m);
      if (f !== undefined) out.push(f);
    }, `clsact ${direction} of ${text}`);
  } catch (e) {
    throw attachFailed(e, `querying the tc ${direction} filters of ${text}`);
  }
  return out;
}

/** A filter of a dump's RTM_NEWTFILTER; undefined for what is not one (a priority's own entry has no handle). */
function decodeFilter(m: NlMessage): TcFilter | undefined {
  if (m.type !== RTM_NEWTFILTER || m.payload.length < TCMSG_SIZE) return undefined;
  const { handle, info } = readTcmsg(m.payload);
  const attrs = parseAttrs(m.payload, TCMSG_SIZE);
  const kind = attrString(attrs, TCA_KIND) ?? "";
  if (handle === 0 && !attrs.has(TCA_OPTIONS)) return undefined;
  const protocol = HOST_LITTLE ? ((info & 0xff) << 8) | ((info >>> 8) & 0xff) : info & 0xffff; // network order in the low half
  const f: { -readonly [K in keyof TcFilter]: TcFilter[K] } = { priority: info >>> 16, handle, protocol, chain: attrU32(attrs, TCA_CHAIN) ?? 0, kind };
  const opts = attrs.get(TCA_OPTIONS);
  if (kind === "bpf" && opts !== undefined) {
    const o = parseAttrs(opts);
    const tag = o.get(TCA_BPF_TAG);
    f.bpf = {
      id: attrU32(o, TCA_BPF_ID) ?? 0,
      name: attrString(o, TCA_BPF_NAME) ?? "",
      tag: tag === undefined ? "" : hexBytes(tag),
      directAction: ((attrU32(o, TCA_BPF_FLAGS) ?? 0) & TCA_BPF_FLAG_ACT_DIRECT) !== 0,
    };
  }
  return f;
}

/**
 * The rtnetlink vocabulary of tc that attachTc and queryTc share: message types, attribute
 * numbers of cls_bpf (include/uapi/linux/pkt_cls.h), clsact's handles, struct tcmsg.
 * @module
 */
import type { NlWriter } from "../sys/netlink-msg.ts";
import { HOST_LITTLE } from "../util/endian.ts";

/** RTM_NEWQDISC. */
export const RTM_NEWQDISC = 36;
/** RTM_NEWTFILTER. */
export const RTM_NEWTFILTER = 44;
/** RTM_DELTFILTER. */
export const RTM_DELTFILTER = 45;
/** RTM_GETTFILTER. */
export const RTM_GETTFILTER = 46;
/** TCA_KIND: the qdisc's or classifier's name ("clsact", "bpf"). */
export const TCA_KIND = 1;
/** TCA_OPTIONS: the classifier's own attributes, nested. */
export const TCA_OPTIONS = 2;
/** TCA_CHAIN: the filter chain, where it is not 0. */
export const TCA_CHAIN = 11;
/** TCA_BPF_FD: the program (a request's). */
export const TCA_BPF_FD = 6;
/** TCA_BPF_NAME: the name the filter was given. */
export const TCA_BPF_NAME = 7;
/** TCA_BPF_FLAGS: TCA_BPF_FLAG_ACT_DIRECT. */
export const TCA_BPF_FLAGS = 8;
/** TCA_BPF_TAG: the program's tag (8 bytes). */
export const TCA_BPF_TAG = 10;
/** TCA_BPF_ID: the program's id (a dump's). */
export const TCA_BPF_ID = 11;
/** Direct action: the program's return value is the tc action. */
export const TCA_BPF_FLAG_ACT_DIRECT = 1;
/** TC_H_CLSACT, also TC_H_INGRESS: clsact sits where the ingress qdisc does. */
export const TC_H_CLSACT = 0xfffffff1;
/** TC_H_MIN_INGRESS. */
export const TC_H_MIN_INGRESS = 0xfff2;
/** TC_H_MIN_EGRESS. */
export const TC_H_MIN_EGRESS = 0xfff3;
/** sizeof(struct tcmsg): family, 3 pad bytes, ifindex, handle, parent, info. */
export const TCMSG_SIZE = 20;
/** tcm_info's low half is the protocol in network order: ETH_P_ALL (3), every packet. */
export const ETH_P_ALL_NET: number = HOST_LITTLE ? 0x0300 : 0x0003;

/** The parent of a clsact filter on `direction`: TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS or _EGRESS). */
export function clsactParent(direction: "ingress" | "egress"): number {
  return ((TC_H_CLSACT & 0xffff0000) | (direction === "ingress" ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS)) >>> 0;
}

/** Appends struct tcmsg. */
export function tcmsg(w: NlWriter, ifindex: number, handle: number, parent: number, info: number): void {
  w.u8(0).u8(0).u16(0).s32(ifindex).u32(handle).u32(parent).u32(info);
}

/** The fields of the struct tcmsg that starts `payload` (a message of at least TCMSG_SIZE bytes). */
export function readTcmsg(payload: Uint8Array): { ifindex: number; handle: number; parent: number; info: number } {
  const dv = new DataView(payload.buffer, payload.byteOffset, TCMSG_SIZE);
  return { ifindex: dv.getInt32(4, HOST_LITTLE), handle: dv.getUint32(8, HOST_LITTLE), parent: dv.getUint32(12, HOST_LITTLE), info: dv.getUint32(16, HOST_LITTLE) };
}

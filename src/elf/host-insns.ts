/**
 * Instructions of an object's code in the host's byte order, as libbpf keeps them after
 * bpf_object_bswap_progs: read and patched field by field while linking.
 * @module
 */
import { HOST_LITTLE } from "../util/endian.ts";

/** BPF_JMP | BPF_CALL: a helper, bpf-to-bpf or kfunc call (libbpf's is_call_insn). */
export const CALL = 0x85;
/** BPF_LD | BPF_IMM | BPF_DW: the first slot of a 64-bit immediate load (is_ldimm64_insn). */
export const LD_IMM64 = 0x18;

/**
 * A copy of `bytes` (whole instructions of an object in byte order `little`) in the host's
 * order: libbpf's bpf_insn_bswap swaps off and imm and exchanges the dst/src nibbles.
 */
export function hostOrderInsns(bytes: Uint8Array, little: boolean): Uint8Array {
  const out = bytes.slice();
  if (little === HOST_LITTLE) return out;
  for (let p = 0; p + 8 <= out.length; p += 8) {
    const r = out[p + 1];
    out[p + 1] = ((r & 15) << 4) | (r >> 4);
    let t = out[p + 2];
    out[p + 2] = out[p + 3];
    out[p + 3] = t;
    t = out[p + 4];
    out[p + 4] = out[p + 7];
    out[p + 7] = t;
    t = out[p + 5];
    out[p + 5] = out[p + 6];
    out[p + 6] = t;
  }
  return out;
}

/** Field access to host-order instructions by instruction index. */
export class HostInsns {
  /** The instructions (length a multiple of 8). */
  readonly bytes: Uint8Array;
  readonly #dv: DataView;

  /** A view of `bytes`, which are not copied. */
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.#dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Number of 8-byte slots. */
  get count(): number {
    return this.bytes.length >> 3;
  }

  /** Opcode of slot `i`. */
  code(i: number): number {
    return this.bytes[i * 8];
  }

  /** dst_reg of slot `i`. */
  dst(i: number): number {
    const r = this.bytes[i * 8 + 1];
    return HOST_LITTLE ? r & 15 : r >> 4;
  }

  /** src_reg of slot `i`. */
  src(i: number): number {
    const r = this.bytes[i * 8 + 1];
    return HOST_LITTLE ? r >> 4 : r & 15;
  }

  /** Sets src_reg of slot `i`. */
  setSrc(i: number, v: number): void {
    const r = this.bytes[i * 8 + 1];
    this.bytes[i * 8 + 1] = HOST_LITTLE ? (r & 15) | (v << 4) : (r & 0xf0) | v;
  }

  /** Signed off of slot `i`. */
  off(i: number): number {
    return this.#dv.getInt16(i * 8 + 2, HOST_LITTLE);
  }

  /** Signed imm of slot `i`. */
  imm(i: number): number {
    return this.#dv.getInt32(i * 8 + 4, HOST_LITTLE);
  }

  /** Sets imm of slot `i` (wrapped to 32 bits, as the C assignment does). */
  setImm(i: number, v: number): void {
    this.#dv.setInt32(i * 8 + 4, v | 0, HOST_LITTLE);
  }
}

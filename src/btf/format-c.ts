/**
 * A C header from BTF, as `bpftool btf dump file F format c` prints it (libbpf's btf_dump).
 * @module
 */
import type { Btf } from "./btf.ts";

/** The C header for every type of `btf`. */
export function formatC(btf: Btf): string {
  throw new Error(`format("c") is not written yet (${btf.count} types)`);
}

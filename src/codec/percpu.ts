/**
 * Per-CPU values: a lookup in a per-CPU map (percpu_hash, percpu_array, lru_percpu_hash,
 * percpu_cgroup_storage) returns one value per possible CPU, each in a slot rounded up to 8 bytes
 * (the kernel copies them with bpf_long_memcpy); an update takes the same layout.
 * @module
 */
import { type Codec, prefixed, roundUp, show } from "./codec.ts";

// Where perCpu() without a count learns the possible CPUs. Codecs are pure (no syscalls): the map
// layer, which reads /sys/devices/system/cpu/possible, installs the source when it loads.
let cpuCount: (() => number) | undefined;

/** Installs the possible-CPU count perCpu() uses when given none (map/resolve.ts installs possibleCpus). */
export function setCpuCountSource(f: () => number): void {
  cpuCount = f;
}

function defaultCpus(): number {
  if (cpuCount === undefined) throw new TypeError("perCpu(): pass the number of possible CPUs, or import the package entry, which knows it");
  return cpuCount();
}

/** A per-CPU value codec: an array with one element per possible CPU. */
export interface PerCpuCodec<T, In = T> extends Codec<T[], readonly In[]> {
  /** The codec of one CPU's value. */
  readonly perCpu: Codec<T, In>;
  /** Number of possible CPUs (/sys/devices/system/cpu/possible): the array's length. */
  readonly cpus: number;
  /** Bytes between two CPUs' values: the value size rounded up to 8. */
  readonly slot: number;
}

/** True when `c` was made by perCpu(). */
export function isPerCpuCodec(c: unknown): c is PerCpuCodec<unknown, unknown> {
  return typeof c === "object" && c !== null && "perCpu" in c && "slot" in c;
}

/**
 * The value codec of a per-CPU map whose C value type is `elem`: arrays of possibleCpus()
 * elements. A per-CPU map created with a plain codec gets this wrapping automatically.
 */
export function perCpu<T, In = T>(elem: Codec<T, In>, cpus: number = defaultCpus()): PerCpuCodec<T, In> {
  if (isPerCpuCodec(elem)) throw new TypeError(`perCpu(${elem.name}): the codec is per-CPU already`);
  if (!Number.isInteger(cpus) || cpus < 1) throw new RangeError(`perCpu(): cpus must be a positive integer, got ${cpus}`);
  const slot = roundUp(elem.size, 8);
  const name = `perCpu(${elem.name}) x ${cpus}`;
  return {
    size: slot * cpus,
    align: 8,
    name,
    perCpu: elem,
    cpus,
    slot,
    encode(v: readonly In[], buf: Uint8Array, off: number): void {
      if (!Array.isArray(v)) throw new TypeError(`${name}: expects an array with one value per possible CPU (${cpus}), got ${show(v)}`);
      if (v.length !== cpus) throw new RangeError(`${name}: expects one value per possible CPU (${cpus}), got ${v.length}`);
      let c = 0;
      try {
        for (; c < cpus; c++) {
          const at = off + c * slot;
          elem.encode(v[c], buf, at);
          if (slot > elem.size) buf.fill(0, at + elem.size, at + slot);
        }
      } catch (e) {
        throw prefixed(e, `${name}: cpu ${c}: `);
      }
    },
    decode(buf: Uint8Array, off: number): T[] {
      const out: T[] = new Array(cpus);
      for (let c = 0; c < cpus; c++) out[c] = elem.decode(buf, off + c * slot);
      return out;
    },
  };
}

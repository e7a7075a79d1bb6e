/**
 * C arrays of a codec: `T x[n]`, elements back to back (each element's size is already a multiple
 * of its alignment, as C's sizeof guarantees for the codecs here).
 * @module
 */
import { type Codec, prefixed, show } from "./codec.ts";

/** `T x[n]`: a JS array of exactly `n` elements, each encoded by `elem`. */
export function array<T, In = T>(elem: Codec<T, In>, n: number): Codec<T[], readonly In[]> {
  if (!Number.isInteger(n) || n < 0 || n * elem.size > 0x7fffffff) throw new RangeError(`array(${elem.name}, n): n must be a non-negative integer, got ${n}`);
  const name = `${elem.name}[${n}]`;
  const step = elem.size;
  return {
    size: step * n,
    align: elem.align,
    name,
    encode(v: readonly In[], buf: Uint8Array, off: number): void {
      if (!Array.isArray(v)) throw new TypeError(`${name}: expects an array of ${n}, got ${show(v)}`);
      if (v.length !== n) throw new RangeError(`${name}: expects an array of ${n}, got ${v.length} elements`);
      let i = 0;
      try {
        for (; i < n; i++) elem.encode(v[i], buf, off + i * step);
      } catch (e) {
        throw prefixed(e, `${name}: [${i}]: `);
      }
    },
    decode(buf: Uint8Array, off: number): T[] {
      const out: T[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = elem.decode(buf, off + i * step);
      return out;
    },
  };
}

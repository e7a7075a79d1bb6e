/**
 * Which codecs a map gets: from a spec being created (sizes implied by the codecs, per-CPU
 * wrapping, fd values for maps of maps), or for an existing map being opened (the caller's codecs
 * checked against the kernel's sizes). Every mismatch is an error before any syscall.
 * @module
 */
import type { AnyCodec } from "../codec/codec.ts";
import { isPerCpuCodec, perCpu, setCpuCountSource } from "../codec/percpu.ts";
import { isPerCpu } from "../cmd/mapmeta.ts";
import { possibleCpus } from "../sys/cpus.ts";
import { describe, type Shape } from "./core.ts";
import { fdId } from "./of-maps.ts";
import { type MapSpec, type OpenOptions, rawCodec } from "./spec.ts";
import { isFdMap, isKeyless, mapTypeName } from "./types.ts";

setCpuCountSource(possibleCpus);

/** The key and value codecs of a map being created from `spec`, and the sizes they imply. */
export function specCodecs(spec: MapSpec<AnyCodec, AnyCodec, number>): { key: AnyCodec; value: AnyCodec; keySize: number; valueSize: number } {
  const type = spec.type;
  const what = describe(spec.name ?? "", type);
  const tn = mapTypeName(type);
  const size = (n: number | undefined, field: string): number | undefined => {
    if (n !== undefined && (!Number.isInteger(n) || n < 0 || n > 0xffffffff)) throw new RangeError(`${what}: ${field} must be an integer in [0, 2^32), got ${n}`);
    return n;
  };
  const keySize = size(spec.keySize, "keySize");
  const valueSize = size(spec.valueSize, "valueSize");

  let key: AnyCodec;
  if (isKeyless(type)) {
    if (spec.key !== undefined || (keySize ?? 0) !== 0) throw new TypeError(`${what}: ${tn} maps have no keys; leave key and keySize out`);
    key = rawCodec(0);
  } else if (spec.key !== undefined) {
    if (keySize !== undefined && keySize !== spec.key.size) throw new RangeError(`${what}: keySize ${keySize} does not match the key codec ${spec.key.name} (${spec.key.size} bytes)`);
    key = spec.key;
  } else if (keySize !== undefined) key = rawCodec(keySize);
  else throw new TypeError(`${what}: give a key codec (key: u32) or keySize`);

  let value: AnyCodec;
  let vsize: number;
  if (isFdMap(type)) {
    if (spec.value !== undefined && spec.value !== fdId) throw new TypeError(`${what}: ${tn} values are fds (in) and ids (out); leave value out`);
    if (valueSize !== undefined && valueSize !== 4) throw new RangeError(`${what}: ${tn} values are 4-byte fds; valueSize must be 4 or left out`);
    value = fdId;
    vsize = 4;
  } else if (spec.value !== undefined) {
    const v = spec.value;
    if (isPerCpuCodec(v)) {
      if (!isPerCpu(type)) throw new TypeError(`${what}: a perCpu() value codec needs a per-CPU map type, not ${tn}; pass ${v.perCpu.name} itself`);
      if (v.cpus !== possibleCpus()) throw new RangeError(`${what}: value codec ${v.name} is for ${v.cpus} CPUs; this system has ${possibleCpus()} possible CPUs`);
      value = v;
      vsize = v.perCpu.size;
    } else {
      value = isPerCpu(type) ? perCpu(v) : v;
      vsize = v.size;
    }
    if (valueSize !== undefined && valueSize !== vsize) throw new RangeError(`${what}: valueSize ${valueSize} does not match the value codec ${v.name} (${vsize} bytes)`);
  } else {
    vsize = valueSize ?? 0;
    if (valueSize === undefined && !isKeyless(type)) throw new TypeError(`${what}: give a value codec (value: u64) or valueSize`);
    value = rawCodec(isPerCpu(type) ? Math.ceil(vsize / 8) * 8 * possibleCpus() : vsize);
  }
  return { key, value, keySize: key.size, valueSize: vsize };
}

/** The codecs for an existing map of `shape`, from the caller's choice or raw bytes. */
export function openCodecs(shape: Shape, opts: OpenOptions<unknown, unknown>): { key: AnyCodec; value: AnyCodec } {
  const what = describe(shape.name, shape.type);
  const key = opts.key ?? rawCodec(shape.keySize);
  if (key.size !== shape.keySize) throw new TypeError(`${what} has ${shape.keySize}-byte keys; the key codec ${key.name} is ${key.size} bytes`);
  let value: AnyCodec;
  if (opts.value === undefined) value = rawCodec(shape.valueBytes);
  else if (isPerCpu(shape.type)) {
    const v = opts.value;
    if (!isPerCpuCodec(v)) throw new TypeError(`${what} is per-CPU: pass value: perCpu(${v.name}) to read one value per CPU`);
    if (v.size !== shape.valueBytes) throw new TypeError(`${what} has ${shape.valueSize}-byte values (${shape.valueBytes} bytes for all CPUs); the value codec ${v.name} is ${v.perCpu.size} bytes for ${v.cpus} CPUs`);
    value = v;
  } else {
    value = opts.value;
    if (isPerCpuCodec(value)) throw new TypeError(`${what} is not per-CPU; pass ${value.perCpu.name} rather than ${value.name}`);
    if (value.size !== shape.valueSize) throw new TypeError(`${what} has ${shape.valueSize}-byte values; the value codec ${value.name} is ${value.size} bytes`);
  }
  return { key, value };
}

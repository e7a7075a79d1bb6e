/**
 * BTF-typed maps: the `btf` option of a map spec (key and value types whose BTF is handed to
 * BPF_MAP_CREATE, and whose codecs the map takes unless it is given its own), and the codecs of
 * an existing map's own BTF (bpf_map_info.btf_id and its type ids).
 * @module
 */
import { Btf } from "../btf/btf.ts";
import { codecFromBtf, typeIdOf } from "../btf/codec.ts";
import { BtfHandle } from "../btf/handle.ts";
import type { LoadedBtf } from "../btf/loaded.ts";
import type { AnyCodec } from "../codec/codec.ts";
import { isPerCpuCodec, perCpu } from "../codec/percpu.ts";
import { isPerCpu } from "../cmd/mapmeta.ts";
import { describe } from "./core.ts";
import type { BpfMapInfo } from "./info.ts";
import type { MapSpec, OpenOptions } from "./spec.ts";
import { HOST_LITTLE } from "../util/endian.ts";
import { isFdMap, isKeyless, mapTypeName } from "./types.ts";

/** A spec whose `btf` option is resolved: codecs and sizes filled in, type ids set, and the BTF fd to come. */
export interface BtfSpec {
  /** The spec for specCodecs and BPF_MAP_CREATE, without `btf`. */
  spec: MapSpec<AnyCodec, AnyCodec, number>;
  /** The BTF object for btf_fd, loaded after every check: close it once the map is created. */
  load(): { readonly fd: number; close(): void };
}

function isLoaded(v: unknown): v is LoadedBtf {
  return typeof v === "object" && v !== null && typeof (v as LoadedBtf).btf === "function" && "fd" in v;
}

/** Resolves `spec.btf`: TypeError/RangeError for what does not fit, before any syscall but reading a loaded BTF. */
export function btfSpec(spec: MapSpec<AnyCodec, AnyCodec, number>): BtfSpec {
  const what = describe(spec.name ?? "", spec.type);
  const b = spec.btf!;
  if (typeof b !== "object" || b === null) throw new TypeError(`${what}: btf must be { types, key, value }`);
  for (const k of ["btfFd", "btfKeyTypeId", "btfValueTypeId"] as const) {
    if (spec[k] !== undefined) throw new TypeError(`${what}: give btf or ${k}, not both`);
  }
  const types = b.types;
  let btf: Btf;
  if (types instanceof Btf) btf = types;
  else if (isLoaded(types)) btf = types.btf();
  else throw new TypeError(`${what}: btf.types must be a Btf or a loaded BTF object (BtfHandle)`);
  if (b.value === undefined) throw new TypeError(`${what}: btf.value is missing: the kernel checks a map's BTF through its value type`);
  const tn = mapTypeName(spec.type);
  if (b.key !== undefined && isKeyless(spec.type)) throw new TypeError(`${what}: ${tn} maps have no keys; leave btf.key out`);
  const keyId = b.key === undefined ? 0 : typeIdOf(btf, b.key);
  const valueId = typeIdOf(btf, b.value);
  const out: MapSpec<AnyCodec, AnyCodec, number> = { ...spec, btf: undefined, btfKeyTypeId: keyId, btfValueTypeId: valueId };
  // The kernel holds the elements in the host's order whatever order `btf` was parsed in (load() writes it in the host's).
  if (keyId !== 0) {
    const kc = codecFromBtf(btf, keyId, { littleEndian: HOST_LITTLE });
    const given = spec.key?.size ?? spec.keySize;
    if (given !== undefined && given !== kc.size) throw new RangeError(`${what}: ${spec.key ? `the key codec ${spec.key.name} is` : `keySize is`} ${given} bytes; the BTF key type ${kc.name} is ${kc.size}`);
    out.key = spec.key ?? kc;
    out.keySize = kc.size;
  }
  const vc = codecFromBtf(btf, valueId, { littleEndian: HOST_LITTLE });
  const v = spec.value;
  const given = v === undefined ? spec.valueSize : isPerCpuCodec(v) ? v.perCpu.size : v.size;
  if (given !== undefined && given !== vc.size) throw new RangeError(`${what}: ${v ? `the value codec ${v.name} is` : `valueSize is`} ${given} bytes; the BTF value type ${vc.name} is ${vc.size}`);
  out.valueSize = vc.size;
  // Maps of fds keep their fd-in, id-out values whatever the BTF calls them.
  if (!isFdMap(spec.type)) out.value = v ?? vc;
  return {
    spec: out,
    load: () => (types instanceof Btf ? types.load() : { fd: types.fd, close() {} }),
  };
}

/**
 * The codecs `opts` leaves out, from the BTF of map `info` (BTF_GET_FD_BY_ID on its btf_id, the
 * kernel's copy parsed): `opts` with key and value filled in. A TypeError when the map has no BTF.
 */
export function btfOpenOptions(info: BpfMapInfo, opts: OpenOptions<unknown, unknown>): OpenOptions<unknown, unknown> {
  const what = describe(info.name, info.type);
  if (info.btfId === 0) throw new TypeError(`${what} has no BTF (it was created without btf_fd): pass key and value codecs`);
  if (opts.key !== undefined && (opts.value !== undefined || info.btfValueTypeId === 0)) return opts;
  let btf: Btf;
  const h = BtfHandle.fromId(info.btfId);
  try {
    btf = h.btf();
  } finally {
    h.close();
  }
  const key = opts.key ?? (info.btfKeyTypeId !== 0 ? codecFromBtf(btf, info.btfKeyTypeId) : undefined);
  let value = opts.value;
  if (value === undefined && info.btfValueTypeId !== 0 && !isFdMap(info.type)) {
    const vc = codecFromBtf(btf, info.btfValueTypeId);
    value = isPerCpu(info.type) ? perCpu(vc) : vc;
  }
  return { ...opts, key, value };
}

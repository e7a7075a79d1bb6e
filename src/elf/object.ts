/**
 * A BPF ELF object as data (libbpf's bpf_object__open, without the kernel): its BTF and .BTF.ext,
 * maps (declared, global data, and the `.kconfig` map its externs need), programs with their
 * subprograms linked and their relocations as references, externs, license and kernel version.
 * Deterministic: the same bytes give the same spec on any machine. CollectionSpec wraps it.
 * @module
 */
import { Btf } from "../btf/btf.ts";
import { type BtfExt, parseBtfExt } from "../btf/ext.ts";
import { MapType } from "../uapi/enums.gen.ts";
import { MapCreateFlags } from "../uapi/flags.gen.ts";
import { cStringAt } from "../util/text.ts";
import { ElfError } from "./error.ts";
import { ElfFile } from "./file.ts";
import { Machine } from "./constants.ts";
import { type ElfExternSpec, externSpecs, kconfigSize } from "./externs.ts";
import { emptySpec, type ElfMapSpec } from "./map-spec.ts";
import { mapSpecs } from "./maps.ts";
import { internalMapName } from "./data-maps.ts";
import { objectBtf } from "./object-btf.ts";
import { structOpsMapSpecs } from "./struct-ops.ts";
import type { ElfProgramSpec } from "./program-spec.ts";
import { programSpecs } from "./programs.ts";

/** Options of {@link parseObject}. */
export interface ParseObjectOptions {
  /** The object's name (libbpf: the file name up to its first dot), prefixed to global-data map names. */
  objectName?: string;
}

/** What an ELF object holds, ready to load. */
export interface ElfObject {
  /** The parsed file. */
  elf: ElfFile;
  /** The object's BTF as clang wrote it (undefined without a .BTF section). */
  btf: Btf | undefined;
  /** The BTF as the kernel gets it: DATASEC sizes and offsets filled in, externs made loadable. */
  loadBtf: Btf | undefined;
  /** .BTF.ext: func_info, line_info and CO-RE relocations per section. */
  ext: BtfExt | undefined;
  /** Maps in creation order: legacy, BTF-defined, global data, `.kconfig`, then struct_ops. */
  maps: ElfMapSpec[];
  /** Entry programs (not `.text` subprograms) in libbpf's order. */
  programs: ElfProgramSpec[];
  /** Externs, in libbpf's order (kconfig first). */
  externs: ElfExternSpec[];
  /** The `license` section's string; "" when there is none, as libbpf loads it (so GPL-only helpers are refused). */
  license: string;
  /** The `version` section's u32 (kern_version), 0 without one. */
  kernVersion: number;
}

/** The `.kconfig` map libbpf makes for an object's kconfig externs. */
function kconfigMap(objectName: string, externs: readonly ElfExternSpec[], btf: Btf | undefined): ElfMapSpec | undefined {
  const size = kconfigSize(externs);
  if (size === 0) return undefined;
  const spec = emptySpec(internalMapName(objectName, ".kconfig"), "data", ".kconfig");
  spec.type = MapType.array;
  spec.keySize = 4;
  spec.valueSize = size;
  spec.maxEntries = 1;
  // Every kconfig VAR is allocated after the fix-up, so libbpf's map_is_mmapable says yes.
  spec.flags = MapCreateFlags.rdonly_prog | MapCreateFlags.mmapable;
  spec.contents = new Uint8Array(size);
  const ds = btf?.find(".kconfig", "datasec");
  if (ds !== undefined) spec.valueTypeId = ds.id;
  spec.variables = externs.filter((e) => e.kconfig).map((e) => ({
    name: e.name, offset: e.kconfig!.offset, size: e.kconfig!.size, varTypeId: e.btfId, typeId: e.typeId, linkage: 1,
  }));
  return spec;
}

/** Parses a BPF object; malformed input is an ElfError or BtfError naming what and where. */
export function parseObject(bytes: Uint8Array, options: ParseObjectOptions = {}): ElfObject {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`parseObject takes the object's bytes as a Uint8Array, got ${typeof bytes}`);
  const elf = ElfFile.parse(bytes);
  if (elf.type !== 1) throw new ElfError(`e_type ${elf.type} is not ET_REL: a BPF object is a relocatable file (clang -c)`, { offset: 16 });
  if (elf.machine !== Machine.bpf && elf.machine !== Machine.none) throw new ElfError(`e_machine ${elf.machine} is not EM_BPF (247)`, { offset: 18 });
  const btfSec = elf.section(".BTF");
  const btf = btfSec ? Btf.parse(elf.data(btfSec)) : undefined;
  const extSec = elf.section(".BTF.ext");
  const ext = extSec && btf ? parseBtfExt(elf.data(extSec), btf) : undefined;
  const objectName = options.objectName ?? "";
  const externs = externSpecs(elf, btf);
  const loadBtf = btf ? objectBtf(btf, elf, externs) : undefined;
  const maps = mapSpecs(elf, loadBtf, { objectName });
  const kc = kconfigMap(objectName, externs, loadBtf);
  if (kc) maps.push(kc);
  maps.push(...structOpsMapSpecs(elf, loadBtf)); // after .kconfig, as libbpf's bpf_object__init_maps
  const programs = programSpecs(elf, { btf, ext, maps, externs, objectName });
  const lic = elf.section("license");
  const license = lic ? cStringAt(elf.data(lic), 0) : "";
  const ver = elf.section("version");
  let kernVersion = 0;
  if (ver) {
    if (ver.size !== 4) throw new ElfError(`the version section has ${ver.size} bytes, not 4`, { section: `${ver.index} (version)` });
    const d = elf.data(ver);
    kernVersion = new DataView(d.buffer, d.byteOffset, 4).getUint32(0, elf.little);
  }
  return { elf, btf, loadBtf, ext, maps, programs, externs, license, kernVersion };
}

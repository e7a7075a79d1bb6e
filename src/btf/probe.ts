/**
 * Which BTF kinds and features the running kernel accepts, found by loading a tiny blob that uses
 * just that one (BPF_BTF_LOAD), as libbpf's probe_kern_btf_* do; answers cached per process.
 * @module
 */
import { Errno } from "../uapi/errno.gen.ts";
import { btfLoad } from "../cmd/btf.ts";
import { close } from "../cmd/fd.ts";
import { BpfError } from "../errors.ts";
import { BtfBuilder } from "./builder.ts";
import { BTF_FEATURES, type BtfFeature } from "./sanitize.ts";

// One blob per feature: the smallest BTF that uses it and nothing newer.
const BLOBS: Readonly<Record<BtfFeature, () => Uint8Array>> = {
  // void x(int a) {}, static then global
  func: () => funcBlob("static"),
  global_func: () => funcBlob("global"),
  // static int x; in .data
  datasec: () => datasecBlob(".data"),
  qmark_datasec: () => datasecBlob("?.data"),
  float: () => {
    const b = new BtfBuilder();
    b.addFloat("float", 4);
    return b.marshal();
  },
  decl_tag: () => {
    const b = new BtfBuilder();
    const int = b.addInt("", 4, { signed: true });
    b.addDeclTag("tag", b.addVar("tag", int), -1);
    return b.marshal();
  },
  type_tag: () => {
    const b = new BtfBuilder();
    b.addPtr(b.addTypeTag("tag", b.addInt("", 4, { signed: true })));
    return b.marshal();
  },
  enum64: () => {
    const b = new BtfBuilder();
    b.addEnum64("enum64", []);
    return b.marshal();
  },
  layout: () => {
    const b = new BtfBuilder();
    b.addInt("int", 4, { signed: true });
    return b.marshal({ layout: true });
  },
};

function funcBlob(linkage: "static" | "global"): Uint8Array {
  const b = new BtfBuilder();
  const int = b.addInt("int", 4, { signed: true });
  b.addFunc("x", b.addFuncProto(0, [{ name: "a", type: int }]), linkage);
  return b.marshal();
}

function datasecBlob(name: string): Uint8Array {
  const b = new BtfBuilder();
  const v = b.addVar("x", b.addInt("", 4, { signed: true }));
  b.addDatasec(name, 4, [{ type: v, offset: 0, size: 4 }]);
  return b.marshal();
}

const answers = new Map<BtfFeature, boolean>();

/**
 * Whether the running kernel accepts BTF feature `feature` (libbpf's FEAT_BTF_*: "func",
 * "datasec", "enum64", ...), by loading a blob that uses it. Cached. Throws the BpfError of a
 * failure that is no answer (EPERM: no CAP_BPF).
 */
export function haveBtfFeature(feature: BtfFeature): boolean {
  if (!BTF_FEATURES.includes(feature)) throw new TypeError(`unknown BTF feature ${JSON.stringify(feature)}; known: ${BTF_FEATURES.join(", ")}`);
  const hit = answers.get(feature);
  if (hit !== undefined) return hit;
  let yes: boolean;
  try {
    close(btfLoad(BLOBS[feature]()));
    yes = true;
  } catch (e) {
    // EINVAL: a kind, linkage or name the kernel does not know; E2BIG: header bytes past its struct.
    if (!(e instanceof BpfError) || (e.errno !== Errno.EINVAL && e.errno !== Errno.E2BIG)) throw e;
    yes = false;
  }
  answers.set(feature, yes);
  return yes;
}

/** The BTF features the running kernel lacks, oldest first: what sanitizeBtf() needs to know. */
export function missingBtfFeatures(): BtfFeature[] {
  return BTF_FEATURES.filter((f) => !haveBtfFeature(f));
}

/** Forgets the cached answers of {@link haveBtfFeature} (for tests that swap the backend). */
export function clearBtfFeatureCache(): void {
  answers.clear();
}

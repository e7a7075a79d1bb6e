// BPF_BTF_LOAD with a BTF blob built by hand from the generated btf.h layouts, then used by a map.
import { expect } from "vitest";
import {
  BtfHeader, btfInfoByFd, BtfKind, btfLoad, BtfType, mapCreate, mapInfoByFd, mapLookupElem, MapType, mapUpdateElem,
} from "../../mod.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { bpfError } from "../helpers/expect.ts";
import { own } from "../helpers/fds.ts";

/** BTF with one type: [1] INT "u32" size 4, 32 bits unsigned. */
function u32Btf(): Uint8Array {
  const strings = new TextEncoder().encode("\0u32\0");
  const typeLen = BtfType.size + 4; // btf_type + the INT's u32 of encoding/offset/bits
  const hdr = BtfHeader.size;
  const out = new Uint8Array(hdr + typeLen + strings.length);
  const dv = new DataView(out.buffer);
  const H = BtfHeader.fields;
  dv.setUint16(H.magic.off, 0xeb9f, true);
  dv.setUint8(H.version.off, 1);
  dv.setUint32(H.hdr_len.off, hdr, true);
  dv.setUint32(H.type_off.off, 0, true);
  dv.setUint32(H.type_len.off, typeLen, true);
  dv.setUint32(H.str_off.off, typeLen, true);
  dv.setUint32(H.str_len.off, strings.length, true);
  const T = BtfType.fields;
  dv.setUint32(hdr + T.name_off.off, 1, true);
  dv.setUint32(hdr + T.info.off, BtfKind.int << 24, true);
  dv.setUint32(hdr + T.size.off, 4, true);
  dv.setUint32(hdr + BtfType.size, 32, true); // encoding 0, offset 0, 32 bits
  out.set(strings, hdr + typeLen);
  return out;
}

describePriv("btf", () => {
  itPriv("loads a hand-built BTF blob and a map uses its types", { feature: ["btf_load", "map_btf"] }, () => {
    const blob = u32Btf();
    const btf = own(btfLoad(blob));
    const info = btfInfoByFd(btf);
    expect(info.btf_size).toBe(blob.length);
    expect(info.id as number).toBeGreaterThan(0);
    const m = own(mapCreate(MapType.hash, 4, 4, 4, { btfFd: btf, btfKeyTypeId: 1, btfValueTypeId: 1 }));
    expect(mapInfoByFd(m)).toMatchObject({ btf_id: info.id, btf_key_type_id: 1, btf_value_type_id: 1 });
    mapUpdateElem(m, new Uint8Array(4), new Uint8Array([1, 2, 3, 4]), 0);
    const v = new Uint8Array(4);
    mapLookupElem(m, new Uint8Array(4), v);
    expect([...v]).toEqual([1, 2, 3, 4]);
  });

  itPriv("a broken blob fails with the BTF verifier's log", { feature: "btf_load" }, () => {
    const blob = u32Btf();
    new DataView(blob.buffer).setUint32(BtfHeader.size + BtfType.size, 33, true); // 33 bits in a 4-byte int
    const e = bpfError(() => btfLoad(blob, { log: { level: 1, buf: new Uint8Array(4096) } }));
    expect(e.cmd).toBe("btf_load");
    expect(e.kind).toBe("InvalidArgument");
    expect(e.log).toMatch(/nr_bits|Invalid/i);
  });
});

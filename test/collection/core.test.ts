// CO-RE through Collection.load, on the real verifier (test/fixtures/collection/core.bpf.c): the
// programs read a struct rec out of a .bss buffer, relocated against the BTF of the fixture's
// -DTARGET build (coreBtf), where rec's fields moved, grew and one is gone. test_run returns
// what each program read, which is right only if every access was relocated; a failed
// relocation on a dead path loads, on a live path it is a VerifierError naming the relocation.
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { Btf, Collection, ElfFile, VerifierError } from "../../mod.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { thrown } from "../helpers/expect.ts";

const OBJ = new URL("../fixtures/collection/core.o", import.meta.url).pathname;
function btfOf(path: string | URL): Btf {
  const elf = ElfFile.parse(new Uint8Array(readFileSync(path)));
  return Btf.parse(elf.data(elf.section(".BTF")!));
}
const target = btfOf(new URL("../fixtures/collection/core.target.o", import.meta.url));
const packet = new Uint8Array(64);

describePriv("Collection.load with CO-RE", {}, () => {
  itPriv("reads fields where the target BTF has them: moved, grown, gone behind a guard", {}, () => {
    using obj = Collection.load(OBJ, { coreBtf: target });
    const buf = obj.variables.buf.bytes();
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    // The target's layout: c u64 at 0, b at 12, a at 16.
    dv.setUint32(0, 0x11111111, true);
    dv.setUint32(4, 0x22222222, true);
    dv.setUint32(12, 5, true);
    dv.setUint32(16, 3, true);
    expect(obj.programs.read_fields.testRun({ data: packet }).retval).toBe(3 + 16 * 5);
    // sizeof(struct rec) 24, sizeof c 8, offsetof b 12.
    expect(obj.programs.sizes.testRun({ data: packet }).retval).toBe(24 * 100 + 8 * 10 + 12);
    expect(obj.programs.guarded.testRun({ data: packet }).retval).toBe(77);
  });

  itPriv("against its own BTF nothing moves (the local layout: a at 0, b at 4)", {}, () => {
    using obj = Collection.load(OBJ, { coreBtf: btfOf(OBJ) });
    const buf = obj.variables.buf.bytes();
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    dv.setUint32(0, 3, true);
    dv.setUint32(4, 5, true);
    expect(obj.programs.read_fields.testRun({ data: packet }).retval).toBe(3 + 16 * 5);
    expect(obj.programs.sizes.testRun({ data: packet }).retval).toBe(16 * 100 + 4 * 10 + 4);
    expect(obj.programs.guarded.testRun({ data: packet }).retval).toBe(0);
  });

  itPriv("a failed relocation on a live path: a VerifierError that names it", {}, () => {
    const e = thrown(() => Collection.load(OBJ, { coreBtf: target, programs: ["unguarded"] }).close(), VerifierError);
    expect(e.message).toMatch(/program "unguarded" \(section \?socket\): instruction \d+ was poisoned by CO-RE relocation #0 \(byte_off of .*struct rec\.gone/);
  });
});

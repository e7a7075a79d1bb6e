// The README's assembler/disassembler example, kept true by running it.
import { expect, it } from "vitest";
import { assemble, disassemble } from "../../src/asm/mod.ts";

it("README example", () => {
  const bytes = assemble(`
    r0 = 0                  # comments, blank lines and labels are fine
    if r1 == 0 goto out
    r0 = *(u32 *)(r1 + 16)
  out:
    exit`);
  expect(disassemble(bytes)).toEqual(["r0 = 0", "if r1 == 0 goto +1", "w0 = *(u32 *)(r1 + 16)", "exit"]);
  expect(disassemble(bytes, { hex: true })[2]).toBe("w0 = *(u32 *)(r1 + 0x10)");
  expect(disassemble(bytes, { syntax: "verifier" })).toEqual([
    "0: (b7) r0 = 0", "1: (15) if r1 == 0x0 goto pc+1", "2: (61) r0 = *(u32 *)(r1 +16)", "3: (95) exit",
  ]);
  expect(assemble(disassemble(bytes, { endian: "little" }).join("\n"))).toEqual(bytes);
});

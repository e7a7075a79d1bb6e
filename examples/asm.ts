// The README's assembler example, kept runnable: test/readme.test.ts checks the README shows exactly this.
import { assemble, disassemble } from "../mod.ts";

const bytes = assemble(`
    r0 = 0                  # comments, blank lines and labels are fine
    if r1 == 0 goto out
    r0 = *(u32 *)(r1 + 16)
  out:
    exit`); //                                   byte-exact with llvm-mc -triple bpfel -mcpu=v4
console.log(disassemble(bytes)); //               ["r0 = 0", "if r1 == 0 goto +1", "w0 = *(u32 *)(r1 + 16)", "exit"]
console.log(disassemble(bytes, { hex: true })[2]); // "w0 = *(u32 *)(r1 + 0x10)", as plain llvm-objdump
console.log(disassemble(bytes, { syntax: "verifier" })[1]); // "1: (15) if r1 == 0x0 goto pc+1", as the kernel's log

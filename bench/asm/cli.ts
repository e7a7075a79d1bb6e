/**
 * One benchmark job per process, so that a run's time includes startup as LLVM's tools' do:
 *
 *   cli.ts gen <n> <out.bin> <out.s>          the program, as bytes and as LLVM text
 *   cli.ts assemble <in.s> <out.bin>          text -> bytes
 *   cli.ts disassemble <in.bin> <out.txt>     bytes -> text
 *   cli.ts decode <in.bin>                    bytes -> instruction objects
 *   cli.ts encode <n> <out.bin>               builders -> instruction objects -> bytes
 *   cli.ts inproc <in.s> <in.bin> <n>         in-process throughput of all four, as JSON
 */
import { readFileSync, writeFileSync } from "node:fs";
import { assemble, decode, disassemble, encode } from "../../src/asm/mod.ts";
import { makeProgram } from "./program.ts";

const [op, a, b, c] = process.argv.slice(2);

function time(fn: () => unknown, minMs = 1500): { ms: number; runs: number } {
  for (let i = 0; i < 3; i++) fn(); // warm up the JIT
  const samples: number[] = [];
  const t0 = performance.now();
  while (samples.length < 5 || performance.now() - t0 < minMs) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  samples.sort((x, y) => x - y);
  return { ms: samples[samples.length >> 1], runs: samples.length };
}

switch (op) {
  case "gen": {
    const insns = makeProgram(Number(a));
    const bytes = encode(insns);
    writeFileSync(b, bytes);
    writeFileSync(c, disassemble(bytes).join("\n") + "\n");
    break;
  }
  case "assemble":
    writeFileSync(b, assemble(readFileSync(a, "utf8")));
    break;
  case "disassemble":
    writeFileSync(b, disassemble(readFileSync(a)).join("\n") + "\n");
    break;
  case "decode":
    console.log(decode(readFileSync(a)).length);
    break;
  case "encode":
    writeFileSync(b, encode(makeProgram(Number(a))));
    break;
  case "inproc": {
    const text = readFileSync(a, "utf8");
    const bytes = new Uint8Array(readFileSync(b));
    const n = Number(c);
    const insns = decode(bytes);
    const result = {
      encode: time(() => encode(insns)),
      decode: time(() => decode(bytes)),
      disassemble: time(() => disassemble(bytes)),
      assemble: time(() => assemble(text)),
    };
    console.log(JSON.stringify({ n, ...result }));
    break;
  }
  default:
    console.error("usage: cli.ts gen|assemble|disassemble|decode|encode|inproc ...");
    process.exit(2);
}

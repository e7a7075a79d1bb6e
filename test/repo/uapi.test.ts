// Checks every generated constant and every field of every generated layout against the C
// compiler's own view of the same UAPI headers (.cache/uapi, fetched by `npm run uapi`): values
// by evaluating the C names, offsets with offsetof, sizes with sizeof, bitfields by setting them.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as enums from "../../src/uapi/enums.gen.ts";
import * as errno from "../../src/uapi/errno.gen.ts";
import * as flags from "../../src/uapi/flags.gen.ts";
import { BPF_ATTR_SIZE, LAYOUTS } from "../../src/uapi/layout.gen.ts";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");
const uapi = join(root, ".cache", "uapi");
const inc = join(uapi, "usr", "include");

interface Const { obj: string; key: string; value: number; c: string }

/** Every `key: value, // C_NAME` line of the generated constant objects, checked against the imported values. */
function generatedConstants(): Const[] {
  const out: Const[] = [];
  const modules = { ...enums, ...flags, ...errno } as unknown as Record<string, Record<string, unknown>>;
  for (const file of ["enums.gen.ts", "flags.gen.ts", "errno.gen.ts"]) {
    const text = readFileSync(join(root, "src", "uapi", file), "utf8");
    for (const block of text.matchAll(/export const (\w+) = \{\n([\s\S]*?)\n\} as const;/g)) {
      const obj = block[1];
      for (const line of block[2].split("\n")) {
        const m = line.match(/^\s+(\w+): (0x[0-9a-f]+|-?\d+),(?: \/\/ (\w+))?$/);
        if (!m) throw new Error(`unparsed line in ${file} ${obj}: ${line}`);
        const value = Number(m[2]);
        expect((modules[obj] as Record<string, number>)[m[1]], `${obj}.${m[1]}`).toBe(value);
        out.push({ obj, key: m[1], value, c: m[3] ?? m[1] });
      }
    }
  }
  return out;
}

function compileAndRun(dir: string, name: string, body: string): string {
  const src = join(dir, `${name}.c`);
  const exe = join(dir, name);
  writeFileSync(src, `#include <stddef.h>\n#include <stdio.h>\n#include <string.h>\n#include <asm-generic/errno.h>\n#include <linux/bpf.h>\n#include <linux/btf.h>\nint main(void) {\n${body}\nreturn 0;\n}\n`);
  execFileSync("gcc", ["-std=gnu11", "-w", "-I", inc, "-I", join(inc, "x86_64-linux-gnu"), "-o", exe, src]);
  return execFileSync(exe, { encoding: "utf8", maxBuffer: 32 << 20 });
}

describe("UAPI constants and layouts match the C compiler", () => {
  let dir = "";
  beforeAll(() => {
    if (!existsSync(join(inc, "linux", "bpf.h"))) throw new Error(`no UAPI headers in ${uapi}: run 'npm run uapi'`);
    dir = mkdtempSync(join(tmpdir(), "tsbpf-uapi-"));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("every generated constant has the value the header gives it", () => {
    const consts = generatedConstants();
    expect(consts.length).toBeGreaterThan(900);
    const names = [...new Set(consts.map((c) => c.c))];
    const body = names.map((n) => `printf("%s %lld\\n", "${n}", (long long)(${n}));`).join("\n");
    const got = new Map(compileAndRun(dir, "consts", body).trim().split("\n").map((l) => {
      const [n, v] = l.split(" ");
      return [n, Number(v)] as const;
    }));
    const wrong = consts.filter((c) => got.get(c.c) !== c.value).map((c) => `${c.obj}.${c.key} = ${c.value}, C ${c.c} = ${got.get(c.c)}`);
    expect(wrong).toEqual([]);
  });

  it("the enums are complete: every member of the header's named enums is exported", () => {
    // Spot checks with the names Zig's module uses, plus the newest members.
    expect(enums.MapType.lru_hash).toBe(9);
    expect(enums.ProgType.socket_filter).toBe(1);
    expect(enums.Helper.map_lookup_elem).toBe(1);
    expect(enums.Cmd.prog_load).toBe(5);
    expect(enums.AttachType.cgroup_inet_ingress).toBe(0);
    expect(enums.MapType.cgrp_storage).toBe(32);
    const src = readFileSync(join(inc, "linux", "bpf.h"), "utf8");
    const count = (prefix: string) => new Set([...src.matchAll(new RegExp(`^\\s*(${prefix}\\w+)\\s*[,=]`, "gm"))].map((m) => m[1])).size;
    expect(Object.keys(enums.MapType).length).toBe(count("BPF_MAP_TYPE_"));
    expect(Object.keys(enums.ProgType).length).toBe(count("BPF_PROG_TYPE_"));
    expect(Object.keys(enums.LinkType).length).toBe(count("BPF_LINK_TYPE_"));
    const helpers = new Set([...src.matchAll(/^\s*FN\((\w+), (\d+), ##ctx\)/gm)].map((m) => m[1]));
    expect(Object.keys(enums.Helper).length).toBe(helpers.size);
  });

  it("every layout field has the offset and size offsetof/sizeof give", () => {
    const lines: string[] = [];
    for (const [name, l] of Object.entries(LAYOUTS)) {
      for (const [path, f] of Object.entries(l.fields)) {
        const member = `${l.prefix}${path}`;
        if (f.bits !== undefined) {
          // A bitfield: set it to all ones in a zeroed struct and find which bits changed.
          lines.push(`{ ${l.c} x; memset(&x, 0, sizeof x); x.${member} = ~0ULL; unsigned char *p = (unsigned char *)&x; int first = -1, n = 0;
            for (int i = 0; i < (int)sizeof x * 8; i++) if (p[i / 8] >> (i % 8) & 1) { if (first < 0) first = i; n++; }
            printf("${name} ${path} bit %d %d\\n", first, n); }`);
        } else {
          lines.push(`printf("${name} ${path} off %zu %zu\\n", offsetof(${l.c}, ${member}), sizeof(((${l.c} *)0)->${member}));`);
        }
      }
      if (!l.prefix && l.c.startsWith("struct")) lines.push(`printf("${name} . size %zu 0\\n", sizeof(${l.c}));`);
      if (l.prefix) lines.push(`printf("${name} . size %zu 0\\n", sizeof(((${l.c} *)0)->${l.prefix.slice(0, -1)}));`);
    }
    lines.push(`printf("bpf_attr . size %zu 0\\n", sizeof(union bpf_attr));`);
    const wrong: string[] = [];
    let checked = 0;
    for (const line of compileAndRun(dir, "layouts", lines.join("\n")).trim().split("\n")) {
      const [name, path, what, a, b] = line.split(" ");
      checked++;
      if (name === "bpf_attr") {
        if (+a !== BPF_ATTR_SIZE) wrong.push(`sizeof(union bpf_attr) = ${a}, ours ${BPF_ATTR_SIZE}`);
        continue;
      }
      const l = LAYOUTS[name];
      if (what === "size") {
        if (+a !== l.size) wrong.push(`${name} size ${l.size}, C ${a}`);
        continue;
      }
      const f = l.fields[path];
      if (what === "off" && (f.off !== +a || f.size !== +b)) wrong.push(`${name}.${path} at ${f.off}+${f.size}, C ${a}+${b}`);
      if (what === "bit" && (f.off * 8 + f.bit! !== +a || f.bits !== +b)) wrong.push(`${name}.${path} bits ${f.off * 8 + f.bit!}:${f.bits}, C ${a}:${b}`);
    }
    expect(wrong).toEqual([]);
    expect(checked).toBe(lines.length); // every printf ran: nothing was skipped
    // Anonymous members of union bpf_attr have no sizeof of their own: their fields must fit.
    for (const [name, l] of Object.entries(LAYOUTS)) {
      for (const f of Object.values(l.fields)) expect(f.off + f.size, `${name}`).toBeLessThanOrEqual(l.size);
    }
  });

  it("the committed generated files are what the generator makes from this header", () => {
    const version = readFileSync(join(uapi, "VERSION"), "utf8").trim();
    const committed = flags.UAPI_VERSION;
    // The generator is a Node script whatever runtime runs the tests.
    const run = () => execFileSync("node", [join(root, "scripts", "gen-uapi.mjs"), "--check"], { encoding: "utf8" });
    if (version !== committed) {
      // sid moved on since generation: the values above were still checked against the newer header.
      console.warn(`uapi: header is ${version}, files were generated from ${committed}; run 'npm run gen' to refresh`);
    }
    expect(run()).toMatch(/generated files match/);
  });
});

#!/usr/bin/env node
// Generates src/uapi/*.gen.ts (enums, names, flags, errno, the bpf_attr layouts) from the kernel's UAPI headers
// (linux/bpf.h, linux/bpf_common.h, linux/btf.h, asm-generic/errno*.h) as fetched by
// scripts/fetch-uapi.sh. Values and layouts are computed here, independently of the C compiler;
// test/repo/uapi.test.ts then checks every one of them against gcc on the same headers.
//
// gcc is used only as the C preprocessor (-E strips comments and expands the helper mapper macro,
// -dM lists the macros); the parsing, expression evaluation and struct layout are ours.
//
// Usage: node scripts/gen-uapi.mjs [--check]   (--check: exit 1 if the committed files differ)
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const uapi = process.env.TSBPF_UAPI ?? join(root, ".cache", "uapi");
const inc = join(uapi, "usr", "include");
const check = process.argv.includes("--check");

if (!existsSync(join(inc, "linux", "bpf.h"))) {
  console.error(`no UAPI headers under ${inc}: run 'npm run uapi' first`);
  process.exit(2);
}
const version = readFileSync(join(uapi, "VERSION"), "utf8").trim();

// ---------- preprocessing ----------
function cpp(args, header) {
  return execFileSync("gcc", ["-E", "-P", "-nostdinc", "-I", inc, "-I", join(inc, "x86_64-linux-gnu"), ...args, "-x", "c", "-"], {
    input: `#include <${header}>\n`,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
}
const bpfPre = cpp([], "linux/bpf.h");
const btfPre = cpp([], "linux/btf.h");
const macroText = cpp(["-dM"], "linux/bpf.h") + cpp(["-dM"], "linux/btf.h");
const errnoText = cpp(["-dM"], "asm-generic/errno.h");

// ---------- integer expressions ----------
// Enough of C's constant expressions for these headers: literals with U/L suffixes, names,
// parentheses, unary - ~, and binary << >> | & + - *.
function evalExpr(src, scope) {
  const toks = src.match(/0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[A-Za-z_]\w*|<<|>>|[()|&+\-*~]/g) ?? [];
  let i = 0;
  const peek = () => toks[i];
  const next = () => toks[i++];
  function primary() {
    const t = next();
    if (t === undefined) throw new Error(`bad expression: ${src}`);
    if (t === "(") {
      const v = expr(0);
      if (next() !== ")") throw new Error(`missing ) in ${src}`);
      return v;
    }
    if (t === "-") return -primary();
    if (t === "~") return ~primary();
    if (/^\d|^0[xX]/.test(t)) return Number(BigInt(t.replace(/[uUlL]+$/, "")));
    if (scope.has(t)) return scope.get(t);
    throw new Error(`unknown name ${t} in ${src}`);
  }
  const prec = { "|": 1, "&": 2, "<<": 3, ">>": 3, "+": 4, "-": 4, "*": 5 };
  function expr(min) {
    let l = primary();
    while (peek() in prec && prec[peek()] > min) {
      const op = next();
      const r = expr(prec[op]);
      l = op === "|" ? (l | r) >>> 0 : op === "&" ? (l & r) >>> 0 : op === "<<" ? l * 2 ** r
        : op === ">>" ? Math.floor(l / 2 ** r) : op === "+" ? l + r : op === "-" ? l - r : l * r;
    }
    return l;
  }
  const v = expr(0);
  if (i !== toks.length) throw new Error(`trailing tokens in ${src}`);
  return v;
}

// ---------- enums ----------
/** Every enum of a preprocessed header, in order: { name | null, members: [{name, value}] }. */
function parseEnums(text, scope) {
  const out = [];
  for (const m of text.matchAll(/\benum\s+(\w+)?\s*\{([^}]*)\}/g)) {
    const members = [];
    let next = 0;
    for (const part of m[2].split(",")) {
      const p = part.trim();
      if (!p) continue;
      const [name, expr] = p.split("=").map((s) => s.trim());
      const value = expr === undefined ? next : evalExpr(expr, scope);
      scope.set(name, value);
      members.push({ name, value });
      next = value + 1;
    }
    out.push({ name: m[1] ?? null, members });
  }
  return out;
}

// Macros: object-like ones whose body is an integer expression.
const scope = new Map();
const macros = new Map();
function loadMacros(text) {
  const lines = text.split("\n").filter((l) => /^#define \w+ /.test(l));
  // Several passes: a macro may refer to one defined later, or to an enum member.
  for (let pass = 0; pass < 4; pass++) {
    for (const l of lines) {
      const [, name, body] = l.match(/^#define (\w+) (.*)$/);
      if (macros.has(name)) continue;
      try {
        const v = evalExpr(body, scope);
        macros.set(name, v);
        scope.set(name, v);
      } catch { /* not an integer yet, or not at all */ }
    }
    if (pass === 0) parseEnums(bpfPre + btfPre, scope); // enum members become known names
  }
}
loadMacros(macroText);
const enums = parseEnums(bpfPre, scope);
const btfEnums = parseEnums(btfPre, scope);

const errnos = [];
for (const l of errnoText.split("\n")) {
  const m = l.match(/^#define (E\w+) (\w+)$/);
  if (!m) continue;
  const v = /^\d+$/.test(m[2]) ? Number(m[2]) : errnos.find((e) => e.name === m[2])?.value;
  if (v !== undefined) errnos.push({ name: m[1], value: v });
}

// ---------- naming ----------
function commonPrefix(names) {
  let p = names[0] ?? "";
  for (const n of names) while (!n.startsWith(p)) p = p.slice(0, -1);
  return p.slice(0, p.lastIndexOf("_") + 1);
}
const pascal = (s) => s.split("_").filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join("");
const jsName = (s) => (/^\d/.test(s) ? `_${s}` : s);

/** The keys a const object gets from C names: `prefix` stripped, lower-cased, first of each key (kernel order). */
function objectKeys(tsName, members, prefix, lower = true) {
  const seen = new Map();
  const out = [];
  for (const { name, value } of members) {
    if (name.startsWith("__")) continue;
    const pre = [prefix].flat().find((p) => name.startsWith(p));
    if (pre === undefined) throw new Error(`${name} lacks prefix ${prefix} in ${tsName}`);
    let key = jsName(name.slice(pre.length));
    if (lower) key = key.toLowerCase();
    if (seen.has(key)) {
      if (seen.get(key) !== value) throw new Error(`${tsName}.${key}: ${seen.get(key)} vs ${value}`);
      continue;
    }
    seen.set(key, value);
    out.push({ key, value, name });
  }
  return out;
}

/** An exported const object from C names with `prefix` stripped and lower-cased (kernel order). */
function constObject(tsName, doc, members, prefix, lower = true) {
  const lines = objectKeys(tsName, members, prefix, lower).map(({ key, value, name }) => `  ${key}: ${fmt(value)}, // ${name}`);
  return `/** ${doc} */\nexport const ${tsName} = {\n${lines.join("\n")}\n} as const;\n/** A value of {@link ${tsName}}. */\nexport type ${tsName} = (typeof ${tsName})[keyof typeof ${tsName}];\n`;
}

// One name per value for reverse look-ups. Where the kernel gives a value several names, the
// canonical one is the newest (last in the header: an alias is defined after what it renames)
// that does not end in _deprecated: prog_run over prog_test_run, cgroup_storage over
// cgroup_storage_deprecated.
function canonicalNames(keys) {
  const best = new Map();
  for (const k of keys) {
    const cur = best.get(k.value);
    if (cur === undefined || !k.key.endsWith("_deprecated") || cur.key.endsWith("_deprecated")) best.set(k.value, k);
  }
  return [...best.values()].sort((a, b) => a.value - b.value);
}

/** A reverse look-up function `fn(n)` over the const object `tsName`: its canonical name, or `<unknown>_<n>`. */
function reverseFunction(tsName, fn, unknown, cEnum, keys) {
  const names = canonicalNames(keys);
  const table = names.map(({ key, value }) => `  ${value}: "${key}",`).join("\n");
  const upper = fn.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
  const example = (names[1] ?? names[0]).key;
  return `const ${upper}: Readonly<Record<number, string>> = {\n${table}\n};\n\n` +
    `/** The ${tsName} name of \`n\` (${cEnum}), e.g. "${example}"; "${unknown}_<n>" for a value this UAPI lacks. */\n` +
    `export function ${fn}(n: number): string {\n  return ${upper}[n] ?? \`${unknown}_\${n}\`;\n}\n`;
}
const fmt = (v) => (v >= 0x100 && Number.isInteger(v) && (v & (v - 1)) === 0 ? `0x${v.toString(16)}` : String(v));

const named = (n) => {
  const e = enums.find((x) => x.name === n) ?? btfEnums.find((x) => x.name === n);
  if (!e) throw new Error(`enum ${n} not found`);
  return e.members;
};
const anonWith = (member) => {
  const e = enums.find((x) => x.name === null && x.members.some((m) => m.name === member));
  if (!e) throw new Error(`no anonymous enum holds ${member}`);
  return e.members;
};
// Header order for constants that come from -dM (whose order is gcc's, not the header's).
const rawHeaders = ["linux/bpf_common.h", "linux/bpf.h", "linux/btf.h"].map((h) => readFileSync(join(inc, h), "utf8")).join("\n");
const posCache = new Map();
const headerPos = (name) => {
  if (!posCache.has(name)) {
    const m = new RegExp(`#define\\s+${name}\\b|\\b${name}\\b`).exec(rawHeaders);
    posCache.set(name, m ? m.index : Infinity);
  }
  return posCache.get(name);
};
const byHeaderOrder = (list) => list.sort((a, b) => headerPos(a.name) - headerPos(b.name));
const macroList = (names) => names.map((name) => {
  if (!macros.has(name)) throw new Error(`macro ${name} not found`);
  return { name, value: macros.get(name) };
});
const macrosMatching = (re) => byHeaderOrder([...macros].filter(([n]) => re.test(n)).map(([name, value]) => ({ name, value })));

// ---------- constants output ----------
const HEADER = `// Generated by scripts/gen-uapi.mjs from linux-libc-dev ${version} (Debian sid). Do not edit.\n`;

// Enums named in the header, with the type name the TS module gives them.
const NAMED_ENUMS = [
  ["bpf_cmd", "Cmd", "bpf() commands (enum bpf_cmd)."],
  ["bpf_map_type", "MapType", "Map types (enum bpf_map_type)."],
  ["bpf_prog_type", "ProgType", "Program types (enum bpf_prog_type)."],
  ["bpf_attach_type", "AttachType", "Attach types (enum bpf_attach_type)."],
  ["bpf_link_type", "LinkType", "Link types (enum bpf_link_type)."],
  ["bpf_perf_event_type", "PerfEventType", "Perf event link kinds (enum bpf_perf_event_type)."],
  ["bpf_stats_type", "StatsType", "BPF_ENABLE_STATS types (enum bpf_stats_type).", "BPF_STATS_"],
  ["bpf_task_fd_type", "TaskFdType", "BPF_TASK_FD_QUERY fd types (enum bpf_task_fd_type)."],
  ["bpf_cgroup_iter_order", "CgroupIterOrder", "cgroup iterator walk orders (enum bpf_cgroup_iter_order)."],
  ["bpf_stack_build_id_status", "StackBuildIdStatus", "Build-id stack entry status (enum bpf_stack_build_id_status)."],
  ["bpf_adj_room_mode", "AdjRoomMode", "bpf_skb_adjust_room modes (enum bpf_adj_room_mode)."],
  ["bpf_hdr_start_off", "HdrStartOff", "bpf_skb_load_bytes_relative bases (enum bpf_hdr_start_off)."],
  ["bpf_lwt_encap_mode", "LwtEncapMode", "bpf_lwt_push_encap modes (enum bpf_lwt_encap_mode)."],
  ["bpf_ret_code", "RetCode", "Program return codes (enum bpf_ret_code)."],
  ["xdp_action", "XdpAction", "XDP verdicts (enum xdp_action)."],
  ["sk_action", "SkAction", "Socket verdicts (enum sk_action)."],
  ["tcx_action_base", "TcxAction", "tcx verdicts (enum tcx_action_base)."],
  ["bpf_check_mtu_flags", "CheckMtuFlags", "bpf_check_mtu flags (enum bpf_check_mtu_flags).", "BPF_MTU_CHK_"],
  ["bpf_check_mtu_ret", "CheckMtuRet", "bpf_check_mtu results (enum bpf_check_mtu_ret)."],
  ["bpf_core_relo_kind", "CoreReloKind", "CO-RE relocation kinds (enum bpf_core_relo_kind)."],
  ["bpf_cond_pseudo_jmp", "CondPseudoJmp", "Conditional pseudo jumps (enum bpf_cond_pseudo_jmp).", "BPF_"],
  ["bpf_addr_space_cast", "AddrSpaceCast", "addr_space_cast kinds (enum bpf_addr_space_cast).", "BPF_"],
];

// Helper ids come from enum bpf_func_id (BPF_FUNC_<name>), expanded from ___BPF_FUNC_MAPPER.
const HELPER = ["bpf_func_id", "Helper", "Helper function ids callable from programs (enum bpf_func_id).", "BPF_FUNC_"];
// The prefix is the members' common one, unless given (a one-member enum has no telling prefix).
const prefixOf = (c, prefix) => prefix ?? commonPrefix(named(c).filter((m) => !m.name.startsWith("__")).map((m) => m.name));

let enumsTs = HEADER;
for (const [c, ts, doc, prefix] of [...NAMED_ENUMS, HELPER]) enumsTs += "\n" + constObject(ts, doc, named(c), prefixOf(c, prefix));
const btfKinds = btfEnums.find((e) => e.members.some((m) => m.name === "BTF_KIND_INT"));
enumsTs += "\n" + constObject("BtfKind", "BTF type kinds (BTF_KIND_* in linux/btf.h).", btfKinds.members.filter((m) => m.name.startsWith("BTF_KIND_")), "BTF_KIND_");

// Reverse look-ups of the enums whose values appear in messages and info, one function each.
const REVERSE = [["Cmd", "cmdName", "cmd"], ["MapType", "mapTypeName", "map_type"], ["ProgType", "progTypeName", "prog_type"],
  ["AttachType", "attachTypeName", "attach_type"], ["LinkType", "linkTypeName", "link_type"], ["Helper", "helperName", "helper"]];
let namesTs = HEADER + `// One canonical name per enum value: where the kernel has aliases, the newest name that does not
// end in _deprecated (prog_run over prog_test_run, cgroup_storage over cgroup_storage_deprecated).
`;
for (const [ts, fn, unknown] of REVERSE) {
  const [c, , , prefix] = [...NAMED_ENUMS, HELPER].find((e) => e[1] === ts);
  namesTs += "\n" + reverseFunction(ts, fn, unknown, `enum ${c}`, objectKeys(ts, named(c), prefixOf(c, prefix)));
}

// Flag groups and the insn field groups, lower-cased without prefix.
const groups = [
  ["MapCreateFlags", "BPF_MAP_CREATE map_flags (BPF_F_*).", anonWith("BPF_F_NO_PREALLOC"), "BPF_F_"],
  ["UpdateFlags", "BPF_MAP_UPDATE_ELEM and lookup flags (BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK, ...).", anonWith("BPF_NOEXIST"), ["BPF_F_", "BPF_"]],
  ["ProgLoadFlags", "BPF_PROG_LOAD prog_flags (BPF_F_*).", macroList(["BPF_F_STRICT_ALIGNMENT", "BPF_F_ANY_ALIGNMENT", "BPF_F_TEST_RND_HI32", "BPF_F_TEST_STATE_FREQ", "BPF_F_SLEEPABLE", "BPF_F_XDP_HAS_FRAGS", "BPF_F_XDP_DEV_BOUND_ONLY", "BPF_F_TEST_REG_INVARIANTS"].filter((n) => macros.has(n))), "BPF_F_"],
  ["AttachFlags", "BPF_PROG_ATTACH and BPF_LINK_CREATE flags (BPF_F_ALLOW_*, BPF_F_REPLACE, ...).", macroList(["BPF_F_ALLOW_OVERRIDE", "BPF_F_ALLOW_MULTI", "BPF_F_REPLACE", "BPF_F_BEFORE", "BPF_F_AFTER", "BPF_F_ID", "BPF_F_PREORDER", "BPF_F_LINK"].filter((n) => macros.has(n))), "BPF_F_"],
  ["QueryFlags", "BPF_PROG_QUERY flags (BPF_F_QUERY_*).", macrosMatching(/^BPF_F_QUERY_/), "BPF_F_"],
  ["TestRunFlags", "BPF_PROG_TEST_RUN flags (BPF_F_TEST_RUN_ON_CPU, ...).", macroList(["BPF_F_TEST_RUN_ON_CPU", "BPF_F_TEST_XDP_LIVE_FRAMES", "BPF_F_TEST_SKB_CHECKSUM_COMPLETE"].filter((n) => macros.has(n))), "BPF_F_"],
  ["Pseudo", "ldimm64 and call src_reg values (BPF_PSEUDO_*).", macrosMatching(/^BPF_PSEUDO_/), "BPF_PSEUDO_"],
  ["InsnClass", "Instruction classes (BPF_LD .. BPF_ALU64).", macroList(["BPF_LD", "BPF_LDX", "BPF_ST", "BPF_STX", "BPF_ALU", "BPF_JMP", "BPF_JMP32", "BPF_ALU64"]), "BPF_"],
  ["InsnSize", "Load/store sizes (BPF_W, BPF_H, BPF_B, BPF_DW).", macroList(["BPF_W", "BPF_H", "BPF_B", "BPF_DW"]), "BPF_"],
  ["InsnMode", "Load/store modes (BPF_IMM .. BPF_ATOMIC).", macroList(["BPF_IMM", "BPF_ABS", "BPF_IND", "BPF_MEM", "BPF_LEN", "BPF_MSH", "BPF_MEMSX", "BPF_ATOMIC"]), "BPF_"],
  ["AluOp", "ALU operations (BPF_ADD .. BPF_END).", macroList(["BPF_ADD", "BPF_SUB", "BPF_MUL", "BPF_DIV", "BPF_OR", "BPF_AND", "BPF_LSH", "BPF_RSH", "BPF_NEG", "BPF_MOD", "BPF_XOR", "BPF_MOV", "BPF_ARSH", "BPF_END"]), "BPF_"],
  ["JmpOp", "Jump operations (BPF_JA .. BPF_JCOND).", macroList(["BPF_JA", "BPF_JEQ", "BPF_JGT", "BPF_JGE", "BPF_JSET", "BPF_JNE", "BPF_JSGT", "BPF_JSGE", "BPF_CALL", "BPF_EXIT", "BPF_JLT", "BPF_JLE", "BPF_JSLT", "BPF_JSLE", "BPF_JCOND"]), "BPF_"],
  ["InsnSrc", "Operand source (BPF_K immediate, BPF_X register).", macroList(["BPF_K", "BPF_X"]), "BPF_"],
  ["AtomicOp", "Atomic operations in imm (BPF_ADD | BPF_FETCH, BPF_XCHG, BPF_CMPXCHG, load-acquire, store-release).", macroList(["BPF_FETCH", "BPF_XCHG", "BPF_CMPXCHG", "BPF_LOAD_ACQ", "BPF_STORE_REL"].filter((n) => macros.has(n))), "BPF_"],
];
let flagsTs = HEADER;
for (const [ts, doc, members, prefix] of groups) flagsTs += "\n" + constObject(ts, doc, members, prefix);

// The raw constants, as Zig's std.os.linux.BPF has them: every integer BPF_* macro and every
// member of an anonymous enum, BPF_ prefix dropped, kernel case kept.
const raw = new Map();
const addRaw = (name, value) => {
  if (name.startsWith("__") || /^BPF_FUNC_|^BPF_MAP_TYPE_|^BPF_PROG_TYPE_|^BPF_LINK_TYPE_/.test(name)) return;
  const key = name.startsWith("BPF_") ? name.slice(4) : name;
  if (raw.has(key) && raw.get(key).value !== value) throw new Error(`raw ${key}: ${raw.get(key).value} vs ${value}`);
  if (!raw.has(key)) raw.set(key, { name, value });
};
for (const [name, value] of macros) if (/^BPF_/.test(name) && !/_H$|^BPF_H_?$/.test(name) || name === "BPF_H") addRaw(name, value);
for (const e of enums) if (e.name === null) for (const m of e.members) addRaw(m.name, m.value);
const rawLines = byHeaderOrder([...raw.values()]).map(({ name, value }) => `  ${jsName(name.startsWith("BPF_") ? name.slice(4) : name)}: ${fmt(value)}, // ${name}`);
flagsTs += `\n/** Every integer BPF_* constant of linux/bpf.h and bpf_common.h, prefix dropped (as Zig's BPF namespace). */\nexport const BPF = {\n${rawLines.join("\n")}\n} as const;\n`;
flagsTs += `\n/** The linux-libc-dev version these constants were generated from. */\nexport const UAPI_VERSION = "${version}";\n`;

let errnoTs = HEADER;
errnoTs += `\n/** Linux errno values by name (asm-generic/errno-base.h and errno.h). */\nexport const Errno = {\n${errnos.map((e) => `  ${e.name}: ${e.value},`).join("\n")}\n} as const;\n`;

// ---------- struct layouts ----------
const PRIM = {
  __u8: [1, "u8"], __s8: [1, "s8"], char: [1, "char"], "unsigned char": [1, "u8"], "signed char": [1, "s8"],
  __u16: [2, "u16"], __s16: [2, "s16"], __be16: [2, "be16"], __sum16: [2, "u16"],
  __u32: [4, "u32"], __s32: [4, "s32"], __be32: [4, "be32"], __wsum: [4, "u32"], int: [4, "s32"], "unsigned int": [4, "u32"],
  __u64: [8, "u64"], __s64: [8, "s64"], __aligned_u64: [8, "u64"], __be64: [8, "be64"],
};

function tokenize(s) {
  return s.match(/__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)|\w+|[{};:\[\]*,]/g) ?? [];
}

/** Finds `struct|union name { ... }` in preprocessed text and returns its body tokens. */
function findAggregate(text, kind, name) {
  const start = text.search(new RegExp(`\\b${kind}\\s+${name}\\s*\\{`));
  if (start < 0) throw new Error(`${kind} ${name} not found`);
  const toks = tokenize(text.slice(start));
  return toks;
}

/**
 * Lays out an aggregate from tokens at toks[i] == "{". Returns { size, align, fields, end }.
 * fields: [{ path, off, size, type, count?, bit?, bits? }]. Anonymous members are flattened.
 */
function layout(toks, i, isUnion) {
  if (toks[i] !== "{") throw new Error(`expected {, got ${toks[i]}`);
  i++;
  const fields = [];
  let off = 0; // bytes, for structs
  let bitPos = 0; // bit position within the struct, for bitfields
  let size = 0;
  let align = 1;
  while (toks[i] !== "}") {
    let memberAlign = 0;
    let t = toks[i];
    if (t === "struct" || t === "union") {
      const inner = t === "union";
      i++;
      let tagName = null;
      if (toks[i] !== "{") tagName = toks[i++];
      let sub;
      if (toks[i] === "{") {
        sub = layout(toks, i, inner);
        i = sub.end + 1;
      } else {
        // A reference to a struct defined elsewhere: only pointers are used in these headers.
        sub = null;
      }
      while (/^__attribute__/.test(toks[i])) memberAlign = Math.max(memberAlign, attrAlign(toks[i++]));
      let ptr = false;
      if (toks[i] === "*") { ptr = true; i++; }
      let name = null;
      if (toks[i] !== ";") name = toks[i++];
      while (/^__attribute__/.test(toks[i])) memberAlign = Math.max(memberAlign, attrAlign(toks[i++]));
      if (toks[i] !== ";") throw new Error(`expected ; after member ${name}, got ${toks[i]}`);
      i++;
      if (ptr || !sub) {
        if (!ptr) throw new Error(`by-value member of undefined ${tagName}`);
        sub = { size: 8, align: 8, fields: null, type: "u64" };
      }
      const a = Math.max(sub.align, memberAlign);
      const at = isUnion ? 0 : alignUp(Math.ceil(bitPos / 8), a);
      if (sub.fields) {
        for (const f of sub.fields) fields.push({ ...f, path: name ? `${name}.${f.path}` : f.path, off: f.off + at });
      } else {
        fields.push({ path: name, off: at, size: 8, type: "u64" });
      }
      place(at, sub.size, a);
      continue;
    }
    // A scalar member: type words, optional aligned attribute, name or bitfield, optional [N].
    const words = [];
    while (!/^[;:\[*]$/.test(toks[i])) {
      if (/^__attribute__/.test(toks[i])) memberAlign = Math.max(memberAlign, attrAlign(toks[i]));
      else words.push(toks[i]);
      i++;
    }
    let ptr = false;
    while (toks[i] === "*") { ptr = true; i++; }
    if (ptr) { words.push(toks[i++]); }
    let name = null;
    let typeWords = words;
    if (toks[i] === ":" && words.length === 1) {
      typeWords = words; // unnamed bitfield
    } else {
      name = words[words.length - 1];
      typeWords = words.slice(0, -1);
    }
    // Enums are ints in the kernel's ABI.
    let [psize, ptype] = ptr ? [8, "u64"] : typeWords[0] === "enum" ? [4, "u32"] : (PRIM[typeWords.join(" ")] ?? []);
    if (psize === undefined) throw new Error(`unknown type '${typeWords.join(" ")}' for ${name}`);
    let count;
    if (toks[i] === "[") {
      count = evalExpr(toks[i + 1], scope);
      if (toks[i + 2] !== "]") throw new Error(`bad array ${name}`);
      i += 3;
    }
    if (toks[i] === ":") {
      const width = +toks[i + 1];
      i += 2;
      const unit = psize * 8;
      if (isUnion) {
        if (name) throw new Error(`named bitfield ${name} in a union`);
        place(0, psize, psize); // an unnamed bitfield pads the union to its type's size
        if (toks[i] !== ";") throw new Error(`expected ; after bitfield`);
        i++;
        continue;
      }
      // GCC (SysV): a bitfield goes at the current bit position unless it would straddle a
      // storage unit of its type; then it starts at the next unit.
      let pos = bitPos;
      if (Math.floor(pos / unit) !== Math.floor((pos + width - 1) / unit)) pos = alignUp(pos, unit);
      if (name) {
        const unitOff = Math.floor(pos / unit) * psize;
        fields.push({ path: name, off: unitOff, size: psize, type: ptype, bit: pos - unitOff * 8, bits: width });
        align = Math.max(align, psize);
      }
      bitPos = pos + width;
      size = Math.max(size, Math.ceil(bitPos / 8));
      if (toks[i] !== ";") throw new Error(`expected ; after bitfield`);
      i++;
      continue;
    }
    while (/^__attribute__/.test(toks[i])) memberAlign = Math.max(memberAlign, attrAlign(toks[i++]));
    if (toks[i] !== ";") throw new Error(`expected ; after ${name}, got ${toks[i]}`);
    i++;
    const a = Math.max(psize, memberAlign);
    const total = psize * (count ?? 1);
    const at = isUnion ? 0 : alignUp(Math.ceil(bitPos / 8), a);
    fields.push(count === undefined ? { path: name, off: at, size: psize, type: ptype } : { path: name, off: at, size: total, type: ptype, count });
    place(at, total, a);
  }
  i++; // }
  let structAlign = 0;
  let packed = false;
  while (/^__attribute__/.test(toks[i])) {
    const a = toks[i++];
    if (/\bpacked\b/.test(a)) packed = true;
    const n = a.match(/aligned\s*\(\s*(\d+)/);
    if (n) structAlign = Math.max(structAlign, +n[1]);
  }
  // packed drops the members' natural alignment; only bpf_fib_lookup's u16 union uses it, where
  // members are already at their natural offsets, so it only changes the aggregate's alignment.
  align = packed ? Math.max(1, structAlign) : Math.max(align, structAlign);
  size = alignUp(size, align);
  return { size, align, fields, end: i - 1 };

  function place(at, n, a) {
    align = Math.max(align, a);
    if (isUnion) size = Math.max(size, n);
    else {
      bitPos = (at + n) * 8;
      size = Math.max(size, at + n);
    }
  }
}
/** N of an `__attribute__((aligned(N)))` token, 0 for other attributes. */
function attrAlign(tok) {
  const m = tok.match(/aligned\s*\(\s*(\d+)/);
  return m ? +m[1] : 0;
}
function alignUp(v, a) {
  return Math.ceil(v / a) * a;
}

// The members of union bpf_attr, one per command family. Anonymous ones are named here by their
// first field; a new anonymous struct in a future header stops the generator until it is named.
const ANON_ATTR = {
  map_type: "MapCreateAttr", map_fd: "MapElemAttr", prog_type: "ProgLoadAttr", pathname: "ObjAttr",
  target_fd: "ProgAttachAttr", start_id: "GetIdAttr", btf: "BtfLoadAttr",
};
const NAMED_ATTR = {
  batch: "MapBatchAttr", test: "TestRunAttr", info: "InfoAttr", query: "QueryAttr", raw_tracepoint: "RawTracepointAttr",
  task_fd_query: "TaskFdQueryAttr", link_create: "LinkCreateAttr", link_update: "LinkUpdateAttr", link_detach: "LinkDetachAttr",
  enable_stats: "EnableStatsAttr", iter_create: "IterCreateAttr", prog_bind_map: "ProgBindMapAttr",
  token_create: "TokenCreateAttr", prog_stream_read: "ProgStreamReadAttr", prog_assoc_struct_ops: "ProgAssocStructOpsAttr",
};

function attrLayouts() {
  const toks = findAggregate(bpfPre, "union", "bpf_attr");
  let i = toks.indexOf("{");
  const out = [];
  i++;
  while (toks[i] !== "}") {
    if (toks[i] !== "struct") throw new Error(`union bpf_attr: unexpected ${toks[i]}`);
    const sub = layout(toks, i + 1, false);
    i = sub.end + 1;
    let name = null;
    if (toks[i] !== ";") name = toks[i++];
    i++; // ;
    const first = sub.fields[0].path.split(".")[0];
    const ts = name ? NAMED_ATTR[name] : ANON_ATTR[first];
    if (!ts) throw new Error(`union bpf_attr member ${name ?? `(anonymous, first field ${first})`} has no name in gen-uapi.mjs`);
    out.push({ ts, c: "union bpf_attr", prefix: name ? `${name}.` : "", size: sub.size, align: sub.align, fields: sub.fields, doc: `bpf_attr for ${name ?? `the commands using ${first}`}` });
  }
  const whole = layout(toks, toks.indexOf("{"), true);
  return { members: out, unionSize: whole.size };
}

const STRUCTS = [
  ["bpf_prog_info", "ProgInfo"], ["bpf_map_info", "MapInfo"], ["bpf_btf_info", "BtfInfo"], ["bpf_link_info", "LinkInfo"],
  ["bpf_token_info", "TokenInfo"], ["bpf_func_info", "FuncInfo"], ["bpf_line_info", "LineInfo"], ["bpf_core_relo", "CoreRelo"],
  ["bpf_insn", "InsnLayout"], ["bpf_stack_build_id", "StackBuildId"], ["bpf_perf_event_value", "PerfEventValue"],
  ["bpf_cgroup_storage_key", "CgroupStorageKey"], ["bpf_lpm_trie_key_hdr", "LpmTrieKeyHdr"],
  ["__sk_buff", "SkBuff"], ["xdp_md", "XdpMd"], ["bpf_sock_tuple", "SockTuple"], ["bpf_fib_lookup", "FibLookup"],
  ["bpf_spin_lock", "SpinLock"], ["bpf_timer", "Timer"], ["bpf_dynptr", "Dynptr"], ["bpf_raw_tracepoint_args", "RawTracepointArgs"],
];
const BTF_STRUCTS = [
  ["btf_header", "BtfHeader"], ["btf_type", "BtfType"], ["btf_array", "BtfArray"], ["btf_member", "BtfMember"],
  ["btf_param", "BtfParam"], ["btf_var", "BtfVar"], ["btf_var_secinfo", "BtfVarSecinfo"], ["btf_decl_tag", "BtfDeclTag"], ["btf_enum", "BtfEnum"], ["btf_enum64", "BtfEnum64"],
];
const structLayouts = [];
for (const [list, text] of [[STRUCTS, bpfPre], [BTF_STRUCTS, btfPre]]) {
  for (const [c, ts] of list) {
    const toks = findAggregate(text, "struct", c);
    const l = layout(toks, toks.indexOf("{"), false);
    structLayouts.push({ ts, c: `struct ${c}`, prefix: "", size: l.size, align: l.align, fields: l.fields, doc: `struct ${c}`, whole: true });
  }
}

const { members: attrs, unionSize } = attrLayouts();

function layoutTs(l) {
  const f = l.fields.map((x) => {
    const parts = [`off: ${x.off}`, `size: ${x.size}`, `type: "${x.type}"`];
    if (x.count !== undefined) parts.push(`count: ${x.count}`);
    if (x.bits !== undefined) parts.push(`bit: ${x.bit}`, `bits: ${x.bits}`);
    return `    ${JSON.stringify(x.path)}: { ${parts.join(", ")} },`;
  });
  return `/** Layout of ${l.doc} (${l.c}${l.prefix ? ` .${l.prefix.slice(0, -1)}` : ""}). */\nexport const ${l.ts} = {\n  c: "${l.c}",\n  prefix: "${l.prefix}",\n  size: ${l.size},\n  fields: {\n${f.join("\n")}\n  },\n} as const;\n`;
}

// The shape of the layouts below, written with them so the generated folder stands alone.
const LAYOUT_TYPES = `/** C type of a field: fixed-width integers (big-endian ones marked), or char for name arrays. */
export type FieldType = "u8" | "s8" | "char" | "u16" | "s16" | "be16" | "u32" | "s32" | "be32" | "u64" | "s64" | "be64";

/** One field: byte offset, total size in bytes, element type, array length, bitfield position. */
export interface Field {
  /** Byte offset from the start of the struct (of the storage unit, for a bitfield). */
  readonly off: number;
  /** Size in bytes (of the whole array for arrays, of the storage unit for bitfields). */
  readonly size: number;
  /** Element type. */
  readonly type: FieldType;
  /** Array length, for arrays. */
  readonly count?: number;
  /** First bit within the storage unit, for bitfields. */
  readonly bit?: number;
  /** Width in bits, for bitfields. */
  readonly bits?: number;
}

/** A struct layout: the C aggregate it mirrors and its fields by C member path ("a.b" for nesting). */
export interface Layout {
  /** The C type the offsets are relative to: "union bpf_attr" or "struct bpf_prog_info". */
  readonly c: string;
  /** Member path inside \`c\` for named members of union bpf_attr ("batch."), else "". */
  readonly prefix: string;
  /** Size in bytes, padded to the struct's alignment. */
  readonly size: number;
  /** Fields by member path; anonymous unions and structs are flattened into their parent. */
  readonly fields: Readonly<Record<string, Field>>;
}
`;
let layoutOut = HEADER + `\n${LAYOUT_TYPES}\n/** sizeof(union bpf_attr) in the newest UAPI. */\nexport const BPF_ATTR_SIZE = ${unionSize};\n`;
for (const l of [...attrs, ...structLayouts]) layoutOut += "\n" + layoutTs(l);
layoutOut += `\n/** Every generated layout by name, for tests and tools. */\nexport const LAYOUTS: Readonly<Record<string, Layout>> = {\n${[...attrs, ...structLayouts].map((l) => `  ${l.ts},`).join("\n")}\n};\n`;

// ---------- write ----------
const outputs = [
  ["src/uapi/enums.gen.ts", enumsTs],
  ["src/uapi/names.gen.ts", namesTs],
  ["src/uapi/flags.gen.ts", flagsTs],
  ["src/uapi/errno.gen.ts", errnoTs],
  ["src/uapi/layout.gen.ts", layoutOut],
  ["src/uapi/mod.ts", HEADER + `/**
 * The kernel's UAPI as data, generated from linux/bpf.h: enums, flag groups, errno, a name for every
 * enum value, and the layout of every bpf_attr member. Pure: importing it touches no kernel.
 * @module
 */
export * from "./enums.gen.ts";
export * from "./flags.gen.ts";
export * from "./errno.gen.ts";
export * from "./names.gen.ts";
export * from "./layout.gen.ts";
`],
];
let stale = 0;
for (const [rel, text] of outputs) {
  const path = join(root, rel);
  const old = existsSync(path) ? readFileSync(path, "utf8") : "";
  const strip = (s) => s.replace(/^\/\/ Generated by .*\n/, "").replace(/UAPI_VERSION = ".*"/, "");
  if (check) {
    if (strip(old) !== strip(text)) {
      console.error(`${rel} is stale against linux-libc-dev ${version}: run 'npm run gen'`);
      stale++;
    }
  } else if (old !== text) {
    writeFileSync(path, text);
    console.log(`wrote ${rel}`);
  }
}
if (check && stale) process.exit(1);
if (check) console.log(`generated files match linux-libc-dev ${version}`);

// alignof and offsetOf: libbpf's btf__align_of rules and C's offsetof by dotted path, on blobs
// written here, on the clang fixture, and on the running kernel's BTF against two oracles: clang
// compiling the UAPI headers (offsetof, _Alignof, sizeof) and libbpf's own btf__align_of for every
// type of vmlinux; plus every member of every vmlinux struct and union, anonymous ones flattened here.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type AnyBtfType, Btf, BtfError, type BtfCompositeType } from "../../mod.ts";
import { itPriv } from "../helpers/env.ts";
import { assemble, fixture, Writer } from "./blob.ts";
import { toolMissing } from "../helpers/tools.ts";

const INT = 1, PTR = 2, ARRAY = 3, STRUCT = 4, UNION = 5, ENUM = 6, FWD = 7, TYPEDEF = 8, CONST = 10, PROTO = 13, FLOAT = 16, ENUM64 = 19;

/** A blob of the types `build` writes, ids from 1 in order. */
function blob(build: (w: Writer) => void): Btf {
  const w = new Writer();
  build(w);
  return Btf.parse(assemble(w.sections()));
}

describe("alignof (btf__align_of)", () => {
  const btf = blob((w) => {
    for (const size of [1, 2, 4, 8, 16]) w.type(w.str(`i${size}`), INT, 0, false, size, size * 8); // 1-5
    w.type(0, PTR, 0, false, 3); // 6
    w.type(w.str("t"), TYPEDEF, 0, false, 4); // 7: typedef i8
    w.type(0, CONST, 0, false, 7); // 8: const t
    w.type(0, ARRAY, 0, false, 0, 2, 3, 5); // 9: i2[5]
    w.type(w.str("plain"), STRUCT, 2, false, 8, w.str("c"), 1, 0, w.str("i"), 3, 32); // 10: {char c; int i;}
    w.type(w.str("packed"), STRUCT, 2, false, 5, w.str("c"), 1, 0, w.str("i"), 3, 8); // 11: packed: i at byte 1
    w.type(w.str("short_tail"), STRUCT, 1, false, 6, w.str("i"), 3, 0); // 12: size 6, not a multiple of 4
    w.type(w.str("bits"), STRUCT, 2, true, 4, w.str("a"), 3, 1 << 24 | 0, w.str("b"), 3, 7 << 24 | 3); // 13: bitfields off alignment
    w.type(w.str("holds_packed"), STRUCT, 2, false, 16, w.str("p"), 11, 0, w.str("l"), 4, 64); // 14
    w.type(w.str("u"), UNION, 2, false, 8, w.str("a"), 1, 0, w.str("b"), 8, 0); // 15: union {char; const t}
    w.type(w.str("empty"), STRUCT, 0, false, 0); // 16
    w.type(w.str("e64"), ENUM64, 0, false, 8); // 17
    w.type(w.str("f128"), FLOAT, 0, false, 16); // 18
    w.type(w.str("e"), ENUM, 0, false, 2); // 19
    w.type(w.str("fw"), FWD, 0, false, 0); // 20
    w.type(0, PROTO, 0, false, 0); // 21
    w.type(w.str("self"), STRUCT, 1, false, 4, w.str("s"), 22, 0); // 22: holds itself (malformed)
    w.type(w.str("zero"), INT, 0, false, 0, 0); // 23
    w.type(w.str("of_ptr"), ARRAY, 0, false, 0, 6, 3, 2); // 24: int *[2]
  });

  it("scalars align to their size, capped at the pointer size; pointers to the pointer size", () => {
    expect([1, 2, 3, 4, 5].map((id) => btf.alignof(id))).toEqual([1, 2, 4, 8, 8]);
    expect([1, 2, 3, 4, 5].map((id) => btf.alignof(id, 4))).toEqual([1, 2, 4, 4, 4]);
    expect([btf.alignof(6), btf.alignof(6, 4)]).toEqual([8, 4]);
    expect([btf.alignof(17), btf.alignof(18), btf.alignof(18, 4), btf.alignof(19)]).toEqual([8, 8, 4, 2]);
  });

  it("typedefs, qualifiers and arrays take their target's alignment", () => {
    expect([btf.alignof(7), btf.alignof(8), btf.alignof(9)]).toEqual([8, 8, 2]);
    expect([btf.alignof(24), btf.alignof(24, 4)]).toEqual([8, 4]);
    expect(btf.alignof(btf.typeById(8))).toBe(8);
  });

  it("structs and unions take their widest member's, or 1 when packed", () => {
    expect(btf.alignof(10)).toBe(4);
    expect(btf.alignof(11)).toBe(1); // a whole int at byte 1
    expect(btf.alignof(12)).toBe(1); // size 6 is no multiple of 4
    expect(btf.alignof(13)).toBe(4); // bitfields may sit anywhere
    expect(btf.alignof(14)).toBe(8); // a packed member aligns to 1, the long to 8
    expect(btf.alignof(15)).toBe(8);
    expect(btf.alignof(16)).toBe(1);
  });

  it("kinds without alignment, zero-sized ints and cycles are BtfErrors; odd pointer sizes RangeErrors", () => {
    for (const id of [0, 20, 21]) expect(() => btf.alignof(id)).toThrow(BtfError);
    expect(() => btf.alignof(20)).toThrow(/fwd has no alignment/);
    expect(() => btf.alignof(23)).toThrow(/0-byte int has no alignment/);
    expect(() => btf.alignof(22)).toThrow(/cycle/);
    expect(() => btf.alignof(1, 3)).toThrow(RangeError);
  });
});

describe("offsetOf by member path", () => {
  // struct inner { int x; int y[4]; };                        (20 bytes)
  // struct outer {
  //   char c;                                                 @0
  //   union { int u1; struct { short s1; short s2; }; };      @4: anonymous, nested anonymous
  //   struct inner in;                                        @8
  //   inner_t td;                                             @28 (typedef of struct inner)
  //   int bf : 3;                                             @48, bits 0-2
  //   int bg : 5;                                             @48, bits 3-7
  //   const struct inner arr[2];                              @52
  //   int *p;                                                 @96
  //   int grid[2][3];                                         @104
  //   int flex[];                                             @128
  // };
  const btf = blob((w) => {
    w.type(w.str("int"), INT, 0, false, 4, (1 << 24) | 32); // 1
    w.type(0, ARRAY, 0, false, 0, 1, 1, 4); // 2: int[4]
    w.type(w.str("inner"), STRUCT, 2, false, 20, w.str("x"), 1, 0, w.str("y"), 2, 32); // 3
    w.type(w.str("short"), INT, 0, false, 2, (1 << 24) | 16); // 4
    w.type(0, STRUCT, 2, false, 4, w.str("s1"), 4, 0, w.str("s2"), 4, 16); // 5: anonymous struct
    w.type(0, UNION, 2, false, 4, w.str("u1"), 1, 0, 0, 5, 0); // 6: anonymous union
    w.type(w.str("inner_t"), TYPEDEF, 0, false, 3); // 7
    w.type(0, CONST, 0, false, 3); // 8
    w.type(0, ARRAY, 0, false, 0, 8, 1, 2); // 9: const struct inner[2]
    w.type(0, PTR, 0, false, 1); // 10
    w.type(0, ARRAY, 0, false, 0, 1, 1, 3); // 11: int[3]
    w.type(0, ARRAY, 0, false, 0, 11, 1, 2); // 12: int[2][3]
    w.type(0, ARRAY, 0, false, 0, 1, 1, 0); // 13: int[]
    const m = (name: string, type: number, byte: number, bits = 0, bitfield = 0) => [w.str(name), type, (bitfield << 24) | (byte * 8 + bits)];
    w.type(w.str("outer"), STRUCT, 10, true, 128,
      ...m("c", 1, 0), 0, 6, 32, ...m("in", 3, 8), ...m("td", 7, 28), ...m("bf", 1, 48, 0, 3), ...m("bg", 1, 48, 3, 5),
      ...m("arr", 9, 52), ...m("p", 10, 96), ...m("grid", 12, 104), ...m("flex", 13, 128)); // 14
    w.type(w.str("outer_t"), TYPEDEF, 0, false, 14); // 15
  });
  const outer = btf.find("outer", "struct")!;
  const at = (path: string) => btf.offsetOf(outer, path);

  it("finds direct members, members of members and members of anonymous members", () => {
    expect(at("c")).toEqual({ bitOffset: 0, bitfieldSize: 0, type: 1 });
    expect(at("u1")).toEqual({ bitOffset: 32, bitfieldSize: 0, type: 1 });
    expect(at("s2")).toEqual({ bitOffset: 48, bitfieldSize: 0, type: 4 });
    expect(at("in")).toEqual({ bitOffset: 64, bitfieldSize: 0, type: 3 });
    expect(at("in.x")).toEqual({ bitOffset: 64, bitfieldSize: 0, type: 1 });
    expect(at("td.y")).toEqual({ bitOffset: 28 * 8 + 32, bitfieldSize: 0, type: 2 }); // through the typedef
    expect(at("p")).toEqual({ bitOffset: 96 * 8, bitfieldSize: 0, type: 10 });
  });

  it("reports bitfields with their size", () => {
    expect(at("bf")).toEqual({ bitOffset: 384, bitfieldSize: 3, type: 1 });
    expect(at("bg")).toEqual({ bitOffset: 387, bitfieldSize: 5, type: 1 });
  });

  it("indexes arrays, nested and of qualified structs, and flexible arrays beyond their end", () => {
    expect(at("in.y[3]")).toEqual({ bitOffset: (8 + 4 + 12) * 8, bitfieldSize: 0, type: 1 });
    expect(at("arr[1]")).toEqual({ bitOffset: (52 + 20) * 8, bitfieldSize: 0, type: 8 });
    expect(at("arr[1].y[2]")).toEqual({ bitOffset: (52 + 20 + 4 + 8) * 8, bitfieldSize: 0, type: 1 });
    expect(at("grid[1]")).toEqual({ bitOffset: (104 + 12) * 8, bitfieldSize: 0, type: 11 });
    expect(at("grid[1][2]")).toEqual({ bitOffset: (104 + 12 + 8) * 8, bitfieldSize: 0, type: 1 });
    expect(at("flex[100]")).toEqual({ bitOffset: (128 + 400) * 8, bitfieldSize: 0, type: 1 });
    expect(btf.offsetOf(9, "[1].x")).toEqual({ bitOffset: 160, bitfieldSize: 0, type: 1 }); // from an array type
  });

  it("starts from a typedef of the struct, or its id", () => {
    expect(btf.offsetOf(btf.find("outer_t")!, "s1")).toEqual(at("s1"));
    expect(btf.offsetOf(15, "arr[0].y[1]")).toEqual(at("arr[0].y[1]"));
  });

  it("names what is missing, what is no struct and what is no array", () => {
    expect(() => at("nope")).toThrow(TypeError);
    expect(() => at("nope")).toThrow(/struct outer has no member "nope"/);
    expect(() => at("in.z")).toThrow(/struct inner has no member "z" \(at "in.z"\)/);
    expect(() => at("c.x")).toThrow(/"c" \(int int\) is not a struct or union/);
    expect(() => at("p.x")).toThrow(/"p" \(an anonymous ptr\) is not a struct or union/); // no looking through pointers
    expect(() => at("c[0]")).toThrow(/"c" is int int, not an array/);
    expect(() => at("in[0]")).toThrow(TypeError);
    expect(() => btf.offsetOf(1, "x")).toThrow(/int int is not a struct or union/);
  });

  it("rejects indexes past a sized array's end with a RangeError", () => {
    expect(() => at("in.y[4]")).toThrow(RangeError);
    expect(() => at("grid[2]")).toThrow(/index 2 is past the end of "grid", an array of 2/);
    expect(() => at("grid[0][3]")).toThrow(/"grid\[0\]", an array of 3/);
  });

  it("rejects malformed paths", () => {
    for (const p of ["", ".", "in.", ".in", "in..x", "in.[0]", "in.y[", "in.y[]", "in.y[-1]", "in.y[1x]", "in y", "1c"]) {
      expect(() => at(p), p).toThrow(TypeError);
    }
    expect(() => at(3 as unknown as string)).toThrow(/must be a string/);
  });
});

describe("offsetOf and alignof on the clang fixture", () => {
  const btf = Btf.parse(fixture("kinds.el.btf"));
  const holder = btf.find("holder", "struct") as BtfCompositeType;
  const member = (n: string) => holder.members.find((m) => m.name === n)!;

  it("agrees with the members' own offsets, through the anonymous struct in union either", () => {
    const either = btf.resolve(member("e").type) as BtfCompositeType;
    const anon = either.members.find((m) => m.name === "")!;
    const lo = (btf.resolve(anon.type) as BtfCompositeType).members.find((m) => m.name === "hi")!;
    expect(btf.offsetOf(holder, "e.hi").bitOffset).toBe(member("e").bitOffset + anon.bitOffset + lo.bitOffset);
    expect(btf.offsetOf(holder, "e.hi").bitOffset - btf.offsetOf(holder, "e").bitOffset).toBe(16);
    expect(btf.offsetOf(holder, "b.c")).toMatchObject({ bitOffset: member("b").bitOffset + 8, bitfieldSize: 40 });
    // int grid[2][3]: element [1][2] is the sixth int.
    expect(btf.offsetOf(holder, "grid[1][2]").bitOffset).toBe(member("grid").bitOffset + 5 * 32);
    expect(btf.alignof(holder)).toBe(8); // its 16-byte long double, capped at the pointer size as libbpf does
    expect(btf.alignof(btf.find("bits")!)).toBe(8);
    expect(btf.alignof(btf.find("either")!)).toBe(4);
  });
});

// ---- The running kernel's BTF ----

const tmp = mkdtempSync(join(tmpdir(), "tsbpf-offsets-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


// Stable UAPI fields (all in Linux 5.10): the offsets the kernel's BTF must agree with C on.
const UAPI: [ctype: string, btfName: string, kind: "struct" | "union", paths: string[], fixedSize: boolean][] = [
  ["union bpf_attr", "bpf_attr", "union", [
    "map_type", "key_size", "value_size", "max_entries", "map_flags", "inner_map_fd", "numa_node", "map_name", "map_ifindex", "btf_fd",
    "btf_key_type_id", "btf_value_type_id", "btf_vmlinux_value_type_id", "map_fd", "key", "value", "next_key", "flags",
    "batch.in_batch", "batch.out_batch", "batch.keys", "batch.values", "batch.count", "batch.map_fd", "batch.elem_flags", "batch.flags",
    "prog_type", "insn_cnt", "insns", "license", "log_level", "log_size", "log_buf", "kern_version", "prog_flags", "prog_name",
    "prog_ifindex", "expected_attach_type", "prog_btf_fd", "func_info_rec_size", "func_info", "func_info_cnt", "line_info_rec_size",
    "line_info", "line_info_cnt", "attach_btf_id", "attach_prog_fd", "pathname", "bpf_fd", "file_flags", "target_fd", "attach_bpf_fd",
    "attach_type", "attach_flags", "replace_bpf_fd", "test.prog_fd", "test.retval", "test.data_size_in", "test.data_size_out",
    "test.data_in", "test.data_out", "test.repeat", "test.duration", "test.ctx_size_in", "test.ctx_size_out", "test.ctx_in",
    "test.ctx_out", "start_id", "prog_id", "map_id", "btf_id", "next_id", "open_flags", "info.bpf_fd", "info.info_len", "info.info",
    "query.target_fd", "query.attach_type", "query.query_flags", "query.attach_flags", "query.prog_ids", "query.prog_cnt",
    "raw_tracepoint.name", "raw_tracepoint.prog_fd", "btf", "btf_log_buf", "btf_size", "btf_log_size", "btf_log_level",
    "task_fd_query.pid", "task_fd_query.fd", "task_fd_query.flags", "task_fd_query.buf_len", "task_fd_query.buf",
    "task_fd_query.prog_id", "task_fd_query.fd_type", "task_fd_query.probe_offset", "task_fd_query.probe_addr",
    "link_create.prog_fd", "link_create.target_fd", "link_create.attach_type", "link_create.flags", "link_update.link_fd",
    "link_update.new_prog_fd", "link_update.flags", "link_update.old_prog_fd", "link_detach.link_fd", "enable_stats.type",
    "iter_create.link_fd", "iter_create.flags", "prog_bind_map.prog_fd", "prog_bind_map.map_fd", "prog_bind_map.flags",
  ], false],
  ["struct __sk_buff", "__sk_buff", "struct", [
    "len", "pkt_type", "mark", "queue_mapping", "protocol", "vlan_present", "vlan_tci", "vlan_proto", "priority", "ingress_ifindex",
    "ifindex", "tc_index", "cb[0]", "cb[4]", "hash", "tc_classid", "data", "data_end", "napi_id", "family", "remote_ip4", "local_ip4",
    "remote_ip6[3]", "local_ip6[1]", "remote_port", "local_port", "data_meta", "flow_keys", "tstamp", "wire_len", "gso_segs", "sk", "gso_size",
  ], false],
  ["struct bpf_sock_ops", "bpf_sock_ops", "struct", [
    "op", "args[2]", "reply", "replylong[3]", "family", "remote_ip4", "local_ip4", "remote_ip6[0]", "local_ip6[3]", "remote_port",
    "local_port", "is_fullsock", "snd_cwnd", "srtt_us", "bpf_sock_ops_cb_flags", "state", "rtt_min", "snd_ssthresh", "rcv_nxt",
    "snd_nxt", "snd_una", "mss_cache", "ecn_flags", "rate_delivered", "rate_interval_us", "packets_out", "retrans_out", "total_retrans",
    "segs_in", "data_segs_in", "segs_out", "data_segs_out", "lost_out", "sacked_out", "sk_txhash", "bytes_received", "bytes_acked", "sk",
  ], false],
  ["struct xdp_md", "xdp_md", "struct", ["data", "data_end", "data_meta", "ingress_ifindex", "rx_queue_index", "egress_ifindex"], false],
  ["struct bpf_prog_info", "bpf_prog_info", "struct", [
    "type", "id", "tag[7]", "jited_prog_len", "xlated_prog_len", "jited_prog_insns", "xlated_prog_insns", "load_time", "created_by_uid",
    "nr_map_ids", "map_ids", "name[3]", "ifindex", "netns_dev", "netns_ino", "nr_jited_ksyms", "nr_jited_func_lens", "jited_ksyms",
    "jited_func_lens", "btf_id", "func_info_rec_size", "func_info", "nr_func_info", "nr_line_info", "line_info", "jited_line_info",
    "nr_jited_line_info", "line_info_rec_size", "jited_line_info_rec_size", "nr_prog_tags", "prog_tags", "run_time_ns", "run_cnt",
  ], false],
  ["struct bpf_map_info", "bpf_map_info", "struct", [
    "type", "id", "key_size", "value_size", "max_entries", "map_flags", "name", "ifindex", "btf_vmlinux_value_type_id", "netns_dev",
    "netns_ino", "btf_id", "btf_key_type_id", "btf_value_type_id",
  ], false],
  ["struct bpf_insn", "bpf_insn", "struct", ["code", "off", "imm"], true],
  ["struct iphdr", "iphdr", "struct", ["tos", "tot_len", "id", "frag_off", "ttl", "protocol", "check", "saddr", "daddr"], true],
  ["struct ipv6hdr", "ipv6hdr", "struct", ["flow_lbl[2]", "payload_len", "nexthdr", "hop_limit", "saddr.in6_u.u6_addr32[1]", "daddr.in6_u.u6_addr8[15]"], true],
  ["struct tcphdr", "tcphdr", "struct", ["source", "dest", "seq", "ack_seq", "window", "check", "urg_ptr"], true],
  ["struct udphdr", "udphdr", "struct", ["source", "dest", "len", "check"], true],
  ["struct ethhdr", "ethhdr", "struct", ["h_dest[5]", "h_source[0]", "h_proto"], true],
  ["struct in6_addr", "in6_addr", "struct", ["in6_u.u6_addr8[9]", "in6_u.u6_addr16[7]", "in6_u.u6_addr32[3]"], true],
  ["struct sockaddr_in6", "sockaddr_in6", "struct", ["sin6_family", "sin6_port", "sin6_flowinfo", "sin6_addr.in6_u.u6_addr16[3]", "sin6_scope_id"], true],
];

/** What clang says, for every UAPI entry: offsets in bytes, then _Alignof, then sizeof of each type. */
function clangSays(): { offsets: number[][]; aligns: number[]; sizes: number[] } {
  const values: string[] = [];
  for (const [ctype, , , paths] of UAPI) {
    for (const p of paths) values.push(`__builtin_offsetof(${ctype}, ${p})`);
    values.push(`_Alignof(${ctype})`, `sizeof(${ctype})`);
  }
  // Each value +1: clang writes zeros of an initialised array as one .zero run.
  const src = `#include <linux/bpf.h>\n#include <linux/in6.h>\n#include <linux/ip.h>\n#include <linux/ipv6.h>\n#include <linux/tcp.h>\n#include <linux/udp.h>\n#include <linux/if_ether.h>\n` +
    `unsigned long values[] = {\n${values.map((v) => `  ${v} + 1,`).join("\n")}\n};\n`;
  const file = join(tmp, "uapi.c");
  writeFileSync(file, src);
  const asm = execFileSync("clang-19", ["-S", "-O0", "-o", "-", file], { encoding: "utf8" });
  const nums = [...asm.matchAll(/^\s*\.quad\s+(\d+)\b/gm)].map((m) => Number(m[1]) - 1);
  expect(nums.length).toBe(values.length);
  const offsets: number[][] = [], aligns: number[] = [], sizes: number[] = [];
  let i = 0;
  for (const [, , , paths] of UAPI) {
    offsets.push(paths.map(() => nums[i++]));
    aligns.push(nums[i++]);
    sizes.push(nums[i++]);
  }
  return { offsets, aligns, sizes };
}

// libbpf (the system's libbpf-dev) printing btf__align_of of every type of vmlinux: "id align" lines, 0 where it has none.
const ALIGN_ORACLE = `#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
static int quiet(enum libbpf_print_level l, const char *f, va_list a) { (void)l; (void)f; (void)a; return 0; }
int main(int argc, char **argv) {
  libbpf_set_print(quiet);
  struct btf *btf = btf__parse(argv[1], NULL);
  if (!btf) return 1;
  for (unsigned id = 1; id < btf__type_cnt(btf); id++) {
    int k = btf_kind(btf__type_by_id(btf, id));
    if (k == BTF_KIND_FUNC || k == BTF_KIND_FUNC_PROTO || k == BTF_KIND_VAR || k == BTF_KIND_DATASEC || k == BTF_KIND_DECL_TAG) continue;
    int a = btf__align_of(btf, id);
    printf("%u %d\\n", id, a < 0 ? 0 : a);
  }
  return 0;
}
`;

/** Every named member reachable from `t` as C sees it (anonymous members flattened), with offsets: written apart from offsets.ts. */
function flatten(btf: Btf, t: BtfCompositeType, base = 0, out: Map<string, { bitOffset: number; type: number } | null> = new Map()) {
  for (const m of t.members) {
    if (m.name) {
      // A name seen twice cannot be looked up unambiguously: leave it out.
      out.set(m.name, out.has(m.name) ? null : { bitOffset: base + m.bitOffset, type: m.type });
      continue;
    }
    const inner = btf.resolve(m.type);
    if (inner.kind === "struct" || inner.kind === "union") flatten(btf, inner, base + m.bitOffset, out);
  }
  return out;
}

describe("offsetOf and alignof on the running kernel's BTF", () => {
  const clang = toolMissing("clang-19", ["--version"]);
  const gcc = toolMissing("gcc", ["--version"]);

  itPriv("agree with clang's offsetof, _Alignof and sizeof of the UAPI headers", { kernelScenario: true, skipIf: clang }, () => {
    const btf = Btf.kernel();
    const c = clangSays();
    let checked = 0;
    UAPI.forEach(([ctype, name, kind, paths, fixedSize], i) => {
      const t = btf.find(name, kind);
      expect(t, ctype).toBeDefined();
      paths.forEach((p, j) => {
        const loc = btf.offsetOf(t!, p);
        expect(`${ctype}.${p} @${loc.bitOffset / 8}`).toBe(`${ctype}.${p} @${c.offsets[i][j]}`);
        expect(loc.bitOffset % 8).toBe(0);
        checked++;
      });
      // struct ethhdr is __attribute__((packed)), yet laid out as if it were not: BTF cannot
      // tell, and libbpf's rule gives the natural 2 where C says 1.
      expect(`${ctype} align ${btf.alignof(t!)}`).toBe(`${ctype} align ${name === "ethhdr" ? 2 : c.aligns[i]}`);
      if (fixedSize) expect(`${ctype} size ${btf.sizeof(t!)}`).toBe(`${ctype} size ${c.sizes[i]}`);
    });
    expect(checked).toBeGreaterThan(200);
  });

  const bin = join(tmp, "align");
  const noOracle = gcc ?? (() => {
    try {
      writeFileSync(`${bin}.c`, ALIGN_ORACLE);
      execFileSync("gcc", ["-O1", "-o", bin, `${bin}.c`, "-lbpf"], { stdio: "pipe" });
      return undefined;
    } catch (e) {
      return `cannot build with -lbpf (libbpf-dev): ${(e as Error).message.split("\n")[0]}`;
    }
  })();
  itPriv("alignof equals libbpf's btf__align_of for every type of vmlinux", { kernelScenario: true, skipIf: noOracle }, () => {
    const btf = Btf.kernel();
    const lines = execFileSync(bin, ["/sys/kernel/btf/vmlinux"], { encoding: "utf8", maxBuffer: 1 << 26 }).trim().split("\n");
    let composites = 0;
    for (const line of lines) {
      const [id, want] = line.split(" ").map(Number);
      let mine: number;
      try {
        mine = btf.alignof(id);
      } catch (e) {
        expect(e).toBeInstanceOf(BtfError);
        mine = 0;
      }
      if (mine !== want) expect(`[${id}] ${btf.typeById(id).kind} '${btf.typeById(id).name}' align ${mine}`).toBe(`[${id}] align ${want}`);
      if (btf.kindNumberOf(id) === STRUCT || btf.kindNumberOf(id) === UNION) composites++;
    }
    expect(composites).toBeGreaterThan(5000);
  });

  itPriv("finds every member of every struct and union, anonymous ones included, where C would", { kernelScenario: true }, () => {
    const btf = Btf.kernel();
    let checked = 0, throughAnon = 0;
    for (let id = 1; id < btf.count; id++) {
      const k = btf.kindNumberOf(id);
      if (k !== STRUCT && k !== UNION) continue;
      const t = btf.typeById(id) as BtfCompositeType;
      const direct = new Set(t.members.map((m) => m.name));
      for (const [name, want] of flatten(btf, t)) {
        if (!want) continue;
        const got = btf.offsetOf(t, name);
        if (got.bitOffset !== want.bitOffset || got.type !== want.type) {
          expect(`[${id}] ${t.name}.${name} @${got.bitOffset} type ${got.type}`).toBe(`[${id}] ${t.name}.${name} @${want.bitOffset} type ${want.type}`);
        }
        checked++;
        if (!direct.has(name)) throughAnon++;
      }
    }
    expect(checked).toBeGreaterThan(50_000);
    expect(throughAnon).toBeGreaterThan(1000);
  });

  itPriv("walks sk.__sk_common.skc_family in struct inet_sock as a chain of member offsets", () => {
    const btf = Btf.kernel();
    const member = (t: AnyBtfType, name: string) => (btf.resolve(t) as BtfCompositeType).members.find((m) => m.name === name)!;
    const inet = btf.find("inet_sock", "struct")!;
    const sk = member(inet, "sk"), common = member(btf.typeById(sk.type), "__sk_common"), family = member(btf.typeById(common.type), "skc_family");
    expect(btf.offsetOf(inet, "sk.__sk_common.skc_family")).toEqual({ bitOffset: sk.bitOffset + common.bitOffset + family.bitOffset, bitfieldSize: 0, type: family.type });
    expect(btf.sizeof(btf.offsetOf(inet, "sk.__sk_common.skc_family").type)).toBe(2);
    expect(() => btf.offsetOf(inet, "sk.__sk_common.skc_familyy")).toThrow(/struct sock_common has no member "skc_familyy"/);
    const task = btf.find("task_struct", "struct")!;
    expect(btf.offsetOf(task, "pid").bitOffset).toBe(member(task, "pid").bitOffset);
  });
});

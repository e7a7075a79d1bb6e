// Lists every BPF map loaded in the kernel, like `bpftool map show` (as root).
//   bun examples/dump-maps.ts [--json] [--demo] | deno run -A examples/dump-maps.ts | npx tsx examples/dump-maps.ts
// --demo first creates a small map of its own (closed on exit), so an idle system shows one.
import { BpfMap, MapCreateFlags, MapType, u32, u64 } from "../mod.ts";

const g = globalThis as { Deno?: { args: string[] }; process?: { argv: string[] } };
const args = g.Deno ? g.Deno.args : g.process!.argv.slice(2);

using _demo = args.includes("--demo")
  ? BpfMap.create({ type: MapType.hash, key: u32, value: u64, maxEntries: 128, flags: MapCreateFlags.no_prealloc, name: "dump_demo" })
  : undefined;

const maps = BpfMap.list();
if (args.includes("--json")) {
  // bigints (map_extra, netns) as strings: JSON has no 64-bit integers.
  console.log(JSON.stringify(maps, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2));
} else {
  for (const m of maps) {
    const name = m.name ? `  name ${m.name}` : "";
    console.log(`${m.id}: ${m.typeName}${name}  flags 0x${m.flags.toString(16)}`);
    const btf = m.btfId ? `  btf_id ${m.btfId}` : "";
    console.log(`\tkey ${m.keySize}B  value ${m.valueSize}B  max_entries ${m.maxEntries}${btf}`);
  }
  console.log(maps.length === 0 ? "no maps loaded" : `${maps.length} map${maps.length === 1 ? "" : "s"}`);
}

// libbpf as the oracle: each fixture object is loaded by Debian's bpftool (`prog loadall`, libbpf)
// and by Collection.load, and what the kernel holds must be the same: every program's translated
// instructions (`bpftool prog dump xlated`, with its source lines from line_info and its
// subprograms' tags; map ids replaced by map names) and the maps they use (`bpftool map show`:
// name, type, key, value, max_entries, flags). bpftool runs in a private mount namespace with a
// bpffs of its own on /sys/fs/bpf, where libbpf pins by-name maps, so nothing outside is touched.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, expect } from "vitest";
import { Collection, type CollectionOptions } from "../../mod.ts";
import { describePriv, isRoot, itPriv } from "../helpers/env.ts";
import { tempMount } from "../helpers/fs.ts";
import { bpftoolMissing, toolMissing } from "../helpers/tools.ts";

// elf/maps.el.o is not here: Debian's libbpf 1.1 cannot open it (clang 19 writes the bloom
// filter's __ulong(map_extra) as an ENUM64, which libbpf 1.2 learned); load.test.ts loads it.
const FIXTURES: { obj: string; note: string; load?: CollectionOptions }[] = [
  { obj: "collection/counter.o", note: "maps of every declaration style, map-in-map and prog array slots, global data, kconfig, a by-name pin" },
  { obj: "elf/progs.el.o", note: "several programs per section, subprograms, a bpf_loop callback, kconfig, ksyms, kfuncs (a weak absent one), CO-RE" },
  // Debian's libbpf 1.1 predates loading SEC("usdt") for uprobe_multi where the kernel has the
  // links (newer libbpf does, as Collection.load does by default): the kernel then translates
  // bpf_get_attach_cookie() to its uprobe_multi variant, the one difference in what it holds.
  {
    obj: "usdt/usdt.o", load: { usdtUprobeMulti: false },
    note: "libbpf-dev's usdt.bpf.h: weak hidden subprograms verified as static (mark_btf_static), weak maps, a CO-RE enum check, LINUX_HAS_BPF_COOKIE",
  },
];

interface ProgView {
  name: string;
  xlated: string;
  maps: MapView[];
}
interface MapView {
  name: string;
  type: string;
  bytes_key: number;
  bytes_value: number;
  max_entries: number;
  flags: number;
}

function bpftool(args: string[]): string {
  return execFileSync("bpftool", args, { encoding: "utf8", maxBuffer: 64 << 20 });
}

// map[id:12] -> map[name]: ids differ between the two loads, names do not.
function normalize(xlated: string, names: Map<number, string>): string {
  return xlated.replace(/map\[id:(\d+)\]/g, (_, id) => `map[${names.get(Number(id)) ?? `?${id}`}]`);
}

function mapView(j: Record<string, unknown>): MapView {
  return { name: j.name as string, type: j.type as string, bytes_key: j.bytes_key as number, bytes_value: j.bytes_value as number, max_entries: j.max_entries as number, flags: j.flags as number };
}

function views(progs: { name: string; info: { map_ids?: number[] }; xlated: string }[], maps: Map<number, Record<string, unknown>>): ProgView[] {
  const names = new Map([...maps].map(([id, m]) => [id, m.name as string]));
  return progs.map((p) => ({
    name: p.name,
    xlated: normalize(p.xlated, names).trim(),
    maps: (p.info.map_ids ?? []).map((id) => mapView(maps.get(id)!)).sort((a, b) => a.name.localeCompare(b.name)),
  })).sort((a, b) => a.name.localeCompare(b.name));
}

// libbpf's side, in a mount namespace of its own: the pinned programs live while the script runs.
function viaBpftool(obj: string): ProgView[] {
  const script = `set -e
mount -t bpf bpf /sys/fs/bpf
mkdir /sys/fs/bpf/p
bpftool prog loadall "$1" /sys/fs/bpf/p
for f in /sys/fs/bpf/p/*; do
  echo "=== prog $(basename "$f")"
  bpftool prog show pinned "$f" -j; echo
  bpftool prog dump xlated pinned "$f"
done
echo "=== maps"
bpftool map show -j`;
  const out = execFileSync("unshare", ["-m", "--propagation", "private", "bash", "-c", script, "oracle", obj], { encoding: "utf8", maxBuffer: 64 << 20 });
  const parts = out.split(/^=== /m).filter(Boolean);
  const progs: { name: string; info: { map_ids?: number[] }; xlated: string }[] = [];
  const maps = new Map<number, Record<string, unknown>>();
  for (const part of parts) {
    const nl = part.indexOf("\n");
    const head = part.slice(0, nl), body = part.slice(nl + 1);
    if (head === "maps") {
      for (const m of JSON.parse(body) as Record<string, unknown>[]) maps.set(m.id as number, m);
    } else {
      const j = body.indexOf("\n");
      progs.push({ name: head.replace(/^prog /, ""), info: JSON.parse(body.slice(0, j)), xlated: body.slice(j + 1) });
    }
  }
  return views(progs, maps);
}

function viaCollection(obj: string, pinPath: string, load: CollectionOptions = {}): ProgView[] {
  using c = Collection.load(obj, { ...load, pinPath });
  const maps = new Map<number, Record<string, unknown>>();
  const progs = Object.entries(c.programs).map(([name, p]) => {
    const info = JSON.parse(bpftool(["prog", "show", "id", String(p.id), "-j"])) as { map_ids?: number[] };
    for (const id of info.map_ids ?? []) if (!maps.has(id)) maps.set(id, JSON.parse(bpftool(["map", "show", "id", String(id), "-j"])));
    return { name, info, xlated: bpftool(["prog", "dump", "xlated", "id", String(p.id)]) };
  });
  return views(progs, maps);
}

const tools = bpftoolMissing() ?? toolMissing("unshare", ["--version"], "util-linux");

describePriv("Collection.load equals libbpf (bpftool prog loadall)", { skipIf: tools ?? null }, () => {
  let bpffs: { dir: string; unmount: () => void } | undefined;
  beforeAll(() => {
    if (isRoot && !tools) bpffs = tempMount("bpf");
  });
  afterAll(() => bpffs?.unmount());

  for (const f of FIXTURES) {
    itPriv(`${f.obj}: same instructions and maps (${f.note})`, { skipIf: tools ?? null }, () => {
      const path = new URL(`../fixtures/${f.obj}`, import.meta.url).pathname;
      let theirs: ProgView[];
      try {
        theirs = viaBpftool(path);
      } catch (e) {
        // An older kernel lacks something the object needs (a kfunc, sleepable uprobes): libbpf
        // refuses to load it, and so must the library.
        const why = String((e as { stderr?: string }).stderr ?? e).trim().split("\n").filter((l) => /libbpf:|Error/.test(l)).slice(-3).join(" / ");
        console.warn(`${f.obj}: libbpf refuses it on this kernel (${why}); the library must too`);
        expect(() => viaCollection(path, bpffs!.dir, f.load)).toThrow();
        return;
      }
      const ours = viaCollection(path, bpffs!.dir, f.load);
      expect(ours.map((p) => p.name)).toEqual(theirs.map((p) => p.name));
      for (let i = 0; i < ours.length; i++) {
        expect(ours[i].maps, `maps of ${ours[i].name}`).toEqual(theirs[i].maps);
        expect(ours[i].xlated, `xlated ${ours[i].name}`).toBe(theirs[i].xlated);
      }
    }, 120_000);
  }
});

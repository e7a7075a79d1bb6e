// The library's side of the Collection benchmark (bench/collection-run.mjs), one fresh process per run:
//   <runtime> bench/collection.mjs load OBJ DIR   Collection.load(OBJ), every program pinned
//                                                  under DIR (as `bpftool prog loadall OBJ DIR`
//                                                  does), then exit; prints {"ok":true,"programs":N,
//                                                  "backendMs","loadMs"}; load-twice loads once more
//                                                  (warm) and adds "warmMs"
//   <runtime> bench/collection.mjs vars OBJ N      a .bss variable read N times through its mmap'd
//                                                  view (a DataView read, Variable.get() of the
//                                                  array and of a scalar __u64) and N times by
//                                                  BPF_MAP_LOOKUP_ELEM of its map; ns per read
// The sources (../mod.ts) on Bun and Deno; TSBPF_ENTRY=../dist/mod.js for Node, which runs the build.
const g = globalThis;
const entry = (g.Deno ? g.Deno.env.get("TSBPF_ENTRY") : g.process.env.TSBPF_ENTRY) ?? "../mod.ts";
const { Collection, getBackend } = await import(entry);
const [mode, obj, arg] = g.Deno ? g.Deno.args : g.process.argv.slice(2);

if (mode === "load" || mode === "load-twice") {
  // The FFI backend (dlopen of libc, binding syscall()) is start-up, as bpftool's dynamic linking: timed apart.
  const b0 = performance.now();
  getBackend();
  const backendMs = performance.now() - b0;
  const t0 = performance.now();
  const c = Collection.load(obj);
  const loadMs = performance.now() - t0;
  let n = 0;
  for (const [name, p] of Object.entries(c.programs)) {
    p.pin(`${arg}/${name}`);
    n++;
  }
  c.close();
  // load-twice (not timed as a whole process): the same load again in this process, what it
  // costs once the code is compiled and warm.
  let warmMs;
  if (mode === "load-twice") {
    const t1 = performance.now();
    Collection.load(obj).close();
    warmMs = performance.now() - t1;
  }
  console.log(JSON.stringify({ ok: true, programs: n, backendMs, loadMs, warmMs }));
} else if (mode === "vars") {
  const n = Number(arg);
  const c = Collection.load(obj);
  const v = c.variables.hits;
  const map = c.maps[Object.keys(c.maps).find((k) => k.endsWith(".bss"))];
  const key = new Uint8Array(4);
  const time = (fn) => {
    fn(1000);
    const t0 = performance.now();
    fn(n);
    return ((performance.now() - t0) * 1e6) / n;
  };
  let sink = 0;
  const view = v.bytes();
  const dv = new DataView(view.buffer, view.byteOffset, view.byteLength);
  const viewNs = time((k) => {
    for (let i = 0; i < k; i++) sink += Number(dv.getBigUint64(8 * (i & 31), true) & 1n);
  });
  const getNs = time((k) => {
    for (let i = 0; i < k; i++) sink += v.get().length;
  });
  const total = c.variables.total;
  const scalarNs = time((k) => {
    for (let i = 0; i < k; i++) sink += Number(total.get() & 1n);
  });
  const lookupNs = time((k) => {
    for (let i = 0; i < k; i++) sink += map.get(key) ? 1 : 0;
  });
  c.close();
  console.log(JSON.stringify({ viewNs, getNs, scalarNs, lookupNs, sink }));
}

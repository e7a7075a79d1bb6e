// The library's side of the map benchmark: the same operations as bench/c/map.c through the
// public API (size checks, errno mapping and all). Prints one JSON object of ns/op.
//   <runtime> bench/map.mjs [n] [rounds]
// The sources (../mod.ts) on Bun and Deno; TSBPF_ENTRY=../dist/mod.js for Node, which runs the build.
const g = globalThis;
const entry = (g.Deno ? g.Deno.env.get("TSBPF_ENTRY") : g.process.env.TSBPF_ENTRY) ?? "../mod.ts";
const { close, mapCreate, mapLookupBatch, mapLookupElem, MapType, mapUpdateElem } = await import(entry);
const args = g.Deno ? g.Deno.args : g.process.argv.slice(2);
const n = Number(args[0] ?? 1_000_000);
const rounds = Number(args[1] ?? 200);

const fd = mapCreate(MapType.hash, 4, 8, 1024);
const key = new Uint8Array(4);
const kv = new DataView(key.buffer);
const value = new Uint8Array(8);
for (let k = 0; k < 1024; k++) {
  kv.setUint32(0, k, true);
  new DataView(value.buffer).setBigUint64(0, BigInt(k * 2), true);
  mapUpdateElem(fd, key, value, 0);
}
kv.setUint32(0, 7, true);

function time(count, fn) {
  // Warm up so the measured loop runs optimized code.
  for (let i = 0; i < 20_000; i++) mapLookupElem(fd, key, value);
  const t0 = performance.now();
  fn();
  return ((performance.now() - t0) * 1e6) / count;
}

const lookup = time(n, () => {
  for (let i = 0; i < n; i++) mapLookupElem(fd, key, value);
});
const update = time(n, () => {
  for (let i = 0; i < n; i++) mapUpdateElem(fd, key, value, 0);
});
const keys = new Uint8Array(1024 * 4);
const vals = new Uint8Array(1024 * 8);
const outBatch = new Uint8Array(4);
const batch1024 = time(rounds, () => {
  for (let r = 0; r < rounds; r++) {
    const res = mapLookupBatch(fd, null, outBatch, keys, vals, 1024);
    if (res.count !== 1024) throw new Error(`batch returned ${res.count}`);
  }
});
const one = new Uint8Array(8);
const single1024 = time(rounds, () => {
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < 1024; k++) {
      kv.setUint32(0, k, true);
      mapLookupElem(fd, key, one);
    }
  }
});
close(fd);
console.log(JSON.stringify({ lookup, update, batch1024, single1024 }));

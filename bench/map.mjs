// The library's side of the map benchmark: the same operations as bench/c/map.c through the
// public API (size checks, errno mapping and all), each paired with the same loop in C run in
// this process (bench/c/loops.c through this runtime's FFI). Prints one JSON object:
// { op: { js, c, ratio } } with ns/op for each side and the median of the paired chunk ratios.
//   <runtime> bench/map.mjs <libloops.so> [n] [rounds]
// The sources (../mod.ts) on Bun and Deno; TSBPF_ENTRY=../dist/mod.js for Node, which runs the build.
import { loadLoops } from "./ffi.mjs";

const g = globalThis;
const entry = (g.Deno ? g.Deno.env.get("TSBPF_ENTRY") : g.process.env.TSBPF_ENTRY) ?? "../mod.ts";
const { BpfMap, close, mapCreate, mapLookupBatch, mapLookupElem, MapType, mapUpdateElem, u32, u64n } = await import(entry);
const args = g.Deno ? g.Deno.args : g.process.argv.slice(2);
const C = await loadLoops(args[0]);
const n = Number(args[1] ?? 1_000_000);
const rounds = Number(args[2] ?? 200);

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

const CHUNKS = 31;
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const ns = (loop, count) => {
  const t0 = performance.now();
  loop(count);
  return ((performance.now() - t0) * 1e6) / count;
};

/**
 * `count` ops of `js(c)` and of `c(c)` in CHUNKS chunks each, alternating which goes first, after a
 * warm-up of both (so the measured loops run optimized code). The median chunk of each side and
 * the median ratio of the chunk pairs.
 */
function paired(count, js, c, warm = 20_000) {
  js(warm);
  c(warm);
  const per = Math.max(1, Math.floor(count / CHUNKS));
  const tj = [], tc = [], r = [];
  for (let i = 0; i < CHUNKS; i++) {
    let a, b;
    if (i & 1) {
      a = ns(js, per);
      b = ns(c, per);
    } else {
      b = ns(c, per);
      a = ns(js, per);
    }
    tj.push(a);
    tc.push(b);
    r.push(a / b);
  }
  return { js: med(tj), c: med(tc), ratio: med(r) };
}

const ok = (rc) => {
  if (rc !== 0) throw new Error("the C loop's bpf() call failed");
};
const out = {};
out.lookup = paired(n, (m) => {
  for (let i = 0; i < m; i++) mapLookupElem(fd, key, value);
}, (m) => ok(C.c_lookup(fd, key, value, m)));
out.update = paired(n, (m) => {
  for (let i = 0; i < m; i++) mapUpdateElem(fd, key, value, 0);
}, (m) => ok(C.c_update(fd, key, value, m)));

const keys = new Uint8Array(1024 * 4);
const vals = new Uint8Array(1024 * 8);
const outBatch = new Uint8Array(4);
out.batch1024 = paired(rounds, (m) => {
  for (let r = 0; r < m; r++) {
    const res = mapLookupBatch(fd, null, outBatch, keys, vals, 1024);
    if (res.count !== 1024) throw new Error(`batch returned ${res.count}`);
  }
}, (m) => ok(C.c_batch(fd, keys, vals, m)), 20);
const one = new Uint8Array(8);
out.single1024 = paired(rounds, (m) => {
  for (let r = 0; r < m; r++) {
    for (let k = 0; k < 1024; k++) {
      kv.setUint32(0, k, true);
      mapLookupElem(fd, key, one);
    }
  }
}, (m) => ok(C.c_single1024(fd, one, m)), 20);

// The object API on the same shape, against the C loops on its fd: codecs encode the key and
// decode the value (u64n: a number).
const map = BpfMap.create({ type: MapType.hash, key: u32, value: u64n, maxEntries: 1024 });
map.set(7, 14);
kv.setUint32(0, 7, true);
out.get = paired(n, (m) => {
  for (let i = 0; i < m; i++) map.get(7);
}, (m) => ok(C.c_lookup(map.fd, key, value, m)));
out.set = paired(n, (m) => {
  for (let i = 0; i < m; i++) map.set(7, 14);
}, (m) => ok(C.c_update(map.fd, key, value, m)));
map.close();
close(fd);
console.log(JSON.stringify(out));

// Walking a 100k-entry hash map (u32 -> u64) four ways, through the public API:
//   entries()          BpfMap's walk (BPF_MAP_LOOKUP_BATCH underneath on 5.6+)
//   entries(no batch)  BpfMap's get_next_key + lookup walk (what kernels before 5.6 get)
//   raw next_key       mapGetNextKey + mapLookupElem by hand
//   raw batch          mapLookupBatch by hand, 8192 entries per call
// Every way decodes each key and value and sums the values, so they do the same work.
// Prints one JSON object: ms per full walk.
//   <runtime> bench/entries.mjs [n] [walks]
// The sources (../mod.ts) on Bun and Deno; TSBPF_ENTRY=../dist/mod.js for Node, which runs the build.
const g = globalThis;
const entry = (g.Deno ? g.Deno.env.get("TSBPF_ENTRY") : g.process.env.TSBPF_ENTRY) ?? "../mod.ts";
const { BpfMap, MapType, mapGetNextKey, mapLookupBatch, mapLookupElem, u32, u64 } = await import(entry);
const args = g.Deno ? g.Deno.args : g.process.argv.slice(2);
const n = Number(args[0] ?? 100_000);
const walks = Number(args[1] ?? 5);

const map = BpfMap.create({ type: MapType.hash, key: u32, value: u64, maxEntries: n, name: "bench_entries" });
const pairs = [];
for (let i = 0; i < n; i++) pairs.push([i, BigInt(i)]);
map.setMany(pairs);
const want = (BigInt(n) * BigInt(n - 1)) / 2n;

function check(count, sum, what) {
  if (count !== n || sum !== want) throw new Error(`${what}: walked ${count} entries summing to ${sum}, want ${n} and ${want}`);
}

const ways = {
  entries() {
    let count = 0, sum = 0n;
    for (const [k, v] of map) {
      count += k >= 0 ? 1 : 0;
      sum += v;
    }
    check(count, sum, "entries()");
  },
  entriesNoBatch() {
    let count = 0, sum = 0n;
    for (const [k, v] of map.entries({ batch: false })) {
      count += k >= 0 ? 1 : 0;
      sum += v;
    }
    check(count, sum, "entries(no batch)");
  },
  rawNextKey() {
    const fd = map.fd;
    const a = new Uint8Array(4), b = new Uint8Array(4), val = new Uint8Array(8);
    const ad = new DataView(a.buffer), bd = new DataView(b.buffer), vd = new DataView(val.buffer);
    let count = 0, sum = 0n, cur = null, next = a, nd = ad;
    while (mapGetNextKey(fd, cur, next)) {
      mapLookupElem(fd, next, val);
      count += nd.getUint32(0, true) >= 0 ? 1 : 0;
      sum += vd.getBigUint64(0, true);
      cur = next;
      [next, nd] = next === a ? [b, bd] : [a, ad];
    }
    check(count, sum, "raw next_key");
  },
  rawBatch() {
    const fd = map.fd;
    const chunk = 8192;
    const keys = new Uint8Array(chunk * 4), vals = new Uint8Array(chunk * 8);
    const kd = new DataView(keys.buffer), vd = new DataView(vals.buffer);
    const token = new Uint8Array(4);
    let count = 0, sum = 0n, started = false;
    for (;;) {
      const r = mapLookupBatch(fd, started ? token : null, token, keys, vals, chunk);
      started = true;
      for (let i = 0; i < r.count; i++) {
        count += kd.getUint32(i * 4, true) >= 0 ? 1 : 0;
        sum += vd.getBigUint64(i * 8, true);
      }
      if (r.done) break;
    }
    check(count, sum, "raw batch");
  },
};

const out = {};
for (const [name, fn] of Object.entries(ways)) {
  fn(); // warm-up walks, so the measured ones run optimized code
  fn();
  const t0 = performance.now();
  for (let w = 0; w < walks; w++) fn();
  out[name] = (performance.now() - t0) / walks;
}
map.close();
console.log(JSON.stringify(out));

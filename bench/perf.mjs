// The library's side of the perf buffer benchmark, run by bench/events-run.mjs on each runtime:
// PerfReader.drain against libbpf's perf_buffer__consume (bench/c/perf.c, loaded into this process
// through this runtime's FFI). Each side reads a perf event array of its own (a perf_buffer stores
// its own events in its map, as a PerfReader does), filled by the same producer program
// (bpf_perf_event_output, one BPF_PROG_TEST_RUN repeating it `count` times) before each timed
// chunk; chunks alternate which side goes first. Then the wake-up latency: a timer writes one
// sample now and then while `for await (const s of reader)` waits; test run to loop body, in µs.
// Prints one JSON object: { rec8: { js, c, ratio }, rec512: {...}, latency: { median, p99 } }
// with ns per sample and ratio = libbpf's ns / ours (our share of libbpf's records/s).
//   <runtime> bench/perf.mjs <libperf.so> [chunks] [latency samples]
const g = globalThis;
const entry = (g.Deno ? g.Deno.env.get("TSBPF_ENTRY") : g.process.env.TSBPF_ENTRY) ?? "../mod.ts";
const lib = await import(entry);
const { BpfMap, MapType, PerfReader, possibleCpus } = lib;
const { loadPerfC, loadPerfProducer, perfRecordBytes } = await import("./perf-progs.mjs");
const { pairChunks, wakeLatency } = await import("./chunks.mjs");
const args = g.Deno ? g.Deno.args : g.process.argv.slice(2);
const C = await loadPerfC(args[0]);
const CHUNKS = Number(args[1] ?? 31);
const SAMPLES = Number(args[2] ?? 200);

const SIZE = 16 << 20; // each CPU's ring
const perfMap = () => BpfMap.create({ type: MapType.perf_event_array, keySize: 4, valueSize: 4, maxEntries: possibleCpus() });

function throughput(recSize) {
  const rec = perfRecordBytes(recSize);
  const count = Math.floor((SIZE - 1) / rec); // what one CPU's ring holds, should the test run stay on one CPU
  const ours = perfMap(), theirs = perfMap();
  const src = BpfMap.create({ type: MapType.array, keySize: 4, valueSize: 512, maxEntries: 1 });
  const v = new Uint8Array(512);
  v[0] = 7;
  src.set(new Uint8Array(4), v);
  const pOurs = loadPerfProducer(lib, { events: ours, src, size: recSize });
  const pTheirs = loadPerfProducer(lib, { events: theirs, src, size: recSize });
  const reader = new PerfReader(ours, { perCpuBytes: SIZE });
  C.c_pb_bytes(SIZE);
  if (C.c_pb_open(theirs.fd) !== 0) throw new Error("perf_buffer__new failed");
  let sum = C.c_pb_sum(0); // the C side's sum runs on over both record sizes
  const fn = (data, offset, length) => {
    sum = (sum + length + data[offset]) | 0; // int32, as C's: no heap number per record
  };
  const js = () => {
    if (pOurs.fill(count) !== 0) throw new Error("the producer's last sample failed");
    if (reader.availableBytes !== count * rec) throw new Error(`the producer wrote ${reader.availableBytes} bytes`);
    const t0 = performance.now();
    const n = reader.drain(fn);
    const t = performance.now() - t0;
    if (n !== count) throw new Error(`drain delivered ${n} of ${count}`);
    return (t * 1e6) / n;
  };
  const c = () => {
    if (pTheirs.fill(count) !== 0) throw new Error("the producer's last sample failed");
    const t0 = performance.now();
    const n = C.c_pb_consume(0);
    const t = performance.now() - t0;
    if (n !== count) throw new Error(`perf_buffer__consume delivered ${n} of ${count}`);
    return (t * 1e6) / n;
  };
  const paired = pairChunks(js, c, CHUNKS);
  if (sum !== C.c_pb_sum(0)) throw new Error(`the sums differ: ours ${sum}, libbpf's ${C.c_pb_sum(0)}: not the same records`);
  if (reader.lost !== 0 || C.c_pb_lost(0) !== 0) throw new Error(`samples were lost: ours ${reader.lost}, libbpf's ${C.c_pb_lost(0)}`);
  C.c_pb_close(0);
  reader.close();
  pOurs.close();
  pTheirs.close();
  src.close();
  ours.close();
  theirs.close();
  return { ...paired, records: count };
}

async function latency() {
  const events = perfMap();
  const src = BpfMap.create({ type: MapType.array, keySize: 4, valueSize: 8, maxEntries: 1 });
  src.set(new Uint8Array(4), new Uint8Array([7, 0, 0, 0, 0, 0, 0, 0]));
  const p = loadPerfProducer(lib, { events, src, size: 8 });
  const reader = new PerfReader(events);
  const lat = await wakeLatency(reader, () => {
    if (p.fill(1) !== 0) throw new Error("the sample failed");
  }, (s) => {
    if (s.length !== 12 || s[0] !== 7) throw new Error("the wrong sample");
  }, SAMPLES);
  reader.close();
  p.close();
  src.close();
  events.close();
  return lat;
}

const out = { rec8: throughput(8), rec512: throughput(512), latency: await latency() };
console.log(JSON.stringify(out));

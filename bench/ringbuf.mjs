// The library's side of the ring buffer benchmark, run by bench/run.mjs on each runtime:
// RingBufReader.drain against libbpf's ring_buffer__consume (bench/c/ringbuf.c, loaded into this
// process through this runtime's FFI) on the same ring, filled by the same producer program
// (bpf_ringbuf_output in a bpf_loop, BPF_RB_NO_WAKEUP, run by BPF_PROG_TEST_RUN) before each
// timed chunk; chunks alternate which side goes first. Then the wake-up latency: a timer submits
// one record now and then while `for await (const r of reader)` waits; submit to yield, in µs.
// Prints one JSON object: { rec8: { js, c, ratio }, rec512: {...}, latency: { median, p99 } }
// with ns per record and ratio = libbpf's ns / ours (our share of libbpf's records/s).
//   <runtime> bench/ringbuf.mjs <libringbuf.so> [chunks] [latency samples]
const g = globalThis;
const entry = (g.Deno ? g.Deno.env.get("TSBPF_ENTRY") : g.process.env.TSBPF_ENTRY) ?? "../mod.ts";
const lib = await import(entry);
const { BpfMap, BpfProgram, MapType, ProgramBuilder, ProgType, RingBufReader } = lib;
const { loadProducer, loadRingbufC } = await import("./ringbuf-progs.mjs");
const { pairChunks, wakeLatency } = await import("./chunks.mjs");
const args = g.Deno ? g.Deno.args : g.process.argv.slice(2);
const C = await loadRingbufC(args[0]);
const CHUNKS = Number(args[1] ?? 31);
const SAMPLES = Number(args[2] ?? 200);

const SIZE = 16 << 20;
const pkt = new Uint8Array(64);

function throughput(recSize) {
  const count = Math.floor((SIZE - 1) / ((recSize + 15) & ~7)); // what fits: the kernel keeps one byte free
  const rb = BpfMap.create({ type: MapType.ringbuf, keySize: 0, valueSize: 0, maxEntries: SIZE });
  const src = BpfMap.create({ type: MapType.array, keySize: 4, valueSize: 512, maxEntries: 1 });
  const v = new Uint8Array(512);
  v[0] = 7;
  src.set(new Uint8Array(4), v);
  const producer = loadProducer(lib, { rb, src, size: recSize, count, flags: 1 });
  const reader = new RingBufReader(rb);
  if (C.c_rb_open(rb.fd) !== 0) throw new Error("ring_buffer__new failed");
  let sum = C.c_rb_sum(0); // the C side's sum runs on over both record sizes
  const fn = (data, offset, length) => {
    sum = (sum + length + data[offset]) | 0; // int32, as C's: no heap number per record
  };
  const fill = () => {
    producer.prog.testRun({ data: pkt });
    if (reader.availableBytes !== count * ((recSize + 15) & ~7)) throw new Error(`the producer filled ${reader.availableBytes} bytes`);
  };
  const js = () => {
    fill();
    const t0 = performance.now();
    const n = reader.drain(fn);
    const t = performance.now() - t0;
    if (n !== count) throw new Error(`drain delivered ${n} of ${count}`);
    return (t * 1e6) / n;
  };
  const c = () => {
    fill();
    const t0 = performance.now();
    const n = C.c_rb_consume(0);
    const t = performance.now() - t0;
    if (n !== count) throw new Error(`ring_buffer__consume delivered ${n} of ${count}`);
    return (t * 1e6) / n;
  };
  const paired = pairChunks(js, c, CHUNKS);
  if (sum !== C.c_rb_sum(0)) throw new Error(`the sums differ: ours ${sum}, libbpf's ${C.c_rb_sum(0)}: not the same records`);
  C.c_rb_close(0);
  reader.close();
  producer.close();
  src.close();
  rb.close();
  return { ...paired, records: count };
}

async function latency() {
  const rb = BpfMap.create({ type: MapType.ringbuf, keySize: 0, valueSize: 0, maxEntries: 1 << 16 });
  const prog = BpfProgram.load({
    type: ProgType.socket_filter, maps: { rb }, name: "rb_one",
    insns: new ProgramBuilder().asm(`
      *(u64 *)(r10 - 8) = 7
      r1 = rb ll
      r2 = r10
      r2 += -8
      r3 = 8
      r4 = 0
      call 130
      r0 = 0
      exit`).finish(),
  });
  const reader = new RingBufReader(rb);
  const lat = await wakeLatency(reader, () => prog.testRun({ data: pkt }), (rec) => {
    if (rec.length !== 8 || rec[0] !== 7) throw new Error("the wrong record");
  }, SAMPLES);
  reader.close();
  prog.close();
  rb.close();
  return lat;
}

const out = { rec8: throughput(8), rec512: throughput(512), latency: await latency() };
console.log(JSON.stringify(out));

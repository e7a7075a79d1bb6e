// The ring buffer benchmark's baseline does real work on the same records: libbpf's
// ring_buffer__consume (bench/c/ringbuf.c, in this process through its FFI) sums what the
// RingBufReader.drain callback sums, on records of the bench's own producer and of the tests'.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { BpfMap, MapType, RingBufReader } from "../../mod.ts";
// @ts-ignore: a plain-JS helper of the benchmark, without declarations
import { loadRingbufC } from "../../bench/ringbuf-progs.mjs";
import { root } from "../helpers/child.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { loopProducer, producer, ringMap } from "./progs.ts";

type C = Record<"c_rb_open" | "c_rb_consume" | "c_rb_close", (x: number) => number> & { c_rb_sum(x: number): number };

const libbpf = existsSync("/usr/include/bpf/libbpf.h") ? null : "needs libbpf-dev (/usr/include/bpf/libbpf.h)";
const RING = { feature: { mapType: "ringbuf" } } as const;

describePriv("bench: libbpf's ring_buffer__consume in this process", RING, () => {
  let dir = "";
  let c: C;
  beforeAll(async () => {
    if (libbpf) return;
    dir = mkdtempSync(join(tmpdir(), "tsbpf-rb-bench-"));
    const so = join(dir, "libringbuf.so");
    execFileSync("gcc", ["-O2", "-shared", "-fPIC", "-o", so, join(root, "bench", "c", "ringbuf.c"), "-lbpf"]);
    c = (await loadRingbufC(so)) as C;
  }, 240_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  itPriv("libbpf and drain() sum the same records alike", { ...RING, skipIf: libbpf }, () => {
    using rb = ringMap(1 << 14);
    using r = new RingBufReader(rb);
    const p = producer(rb, "output", 13);
    try {
      expect(c.c_rb_open(rb.fd)).toBe(0);
      const expected = (from: number, n: number) => {
        let s = 0;
        for (let i = from; i < from + n; i++) s += 13 + (i & 0xff);
        return s;
      };
      p.run(300);
      const before = c.c_rb_sum(0);
      expect(c.c_rb_consume(0)).toBe(300);
      expect(c.c_rb_sum(0) - before).toBe(expected(0, 300));
      expect(r.availableBytes).toBe(0); // libbpf moved consumer_pos on the same page
      p.run(300);
      let ours = 0;
      expect(r.drain((d, o, len) => void (ours += len + d[o]))).toBe(300);
      expect(ours).toBe(expected(300, 300));
      expect(c.c_rb_consume(0)).toBe(0);
    } finally {
      c.c_rb_close(0);
      p.close();
    }
  });

  itPriv("the bench's producer emits exactly `count` records of `size` bytes per run", { feature: [{ mapType: "ringbuf" }, { helper: "loop" }] }, () => {
    using rb = ringMap(1 << 16);
    using src = BpfMap.create({ type: MapType.array, keySize: 4, valueSize: 512, maxEntries: 1 });
    const v = new Uint8Array(512);
    v[0] = 7;
    src.set(new Uint8Array(4), v);
    const p = loopProducer(rb, src, 512, 100, 1);
    using r = new RingBufReader(rb);
    try {
      p.prog.testRun({ data: new Uint8Array(64) });
      expect(r.availableBytes).toBe(100 * 520);
      let n = 0;
      r.drain((d, o, len) => {
        if (len === 512 && d[o] === 7) n++;
      });
      expect(n).toBe(100);
    } finally {
      p.close();
    }
  });
});

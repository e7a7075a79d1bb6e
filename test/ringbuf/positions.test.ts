// The reader over long runs: loops long enough for every JIT to compile its hottest code (on
// Bun, Atomics.load on the read-only mapping faulted once compiled: the reader never does that,
// and a child shows the hazard is real), and more than 2^32 bytes through one ring, past the
// point where consumer_pos needs its high half.
import { spawnSync } from "node:child_process";
import { expect } from "vitest";
import { BpfMap, MapType, RingBufReader } from "../../mod.ts";
import { childArgs, CHILD_TIMEOUT, root } from "../helpers/child.ts";
import { describePriv, inVm, itPriv, runtime } from "../helpers/env.ts";
import { loopProducer, producer, ringMap } from "./progs.ts";

const RING = { feature: { mapType: "ringbuf" } } as const;

describePriv("RingBufReader over long runs", RING, () => {
  itPriv("JIT-warm loops of read(), drain() and the position getters over the read-only mapping run clean", RING, () => {
    using rb = ringMap(1 << 16);
    using r = new RingBufReader(rb);
    const p = producer(rb, "output", 8);
    try {
      const rounds = inVm ? 40 : 400;
      let n = 0, sum = 0, seq = 0, bad = 0;
      for (let round = 0; round < rounds; round++) {
        p.run(64);
        for (let i = 0; i < 32; i++) {
          const rec = r.read()!;
          if (rec[0] !== (seq++ & 0xff)) bad++;
        }
        n += r.drain((d, o) => {
          if (d[o] !== (seq++ & 0xff)) bad++;
        });
        for (let k = 0; k < 5000; k++) sum += r.availableBytes + (r.producerPosition & 1) + (r.consumerPosition & 1);
      }
      expect(bad).toBe(0);
      expect(n).toBe(rounds * 32);
      expect(seq).toBe(rounds * 64);
      expect(sum).toBe(0); // everything drained each round; positions are multiples of 8
    } finally {
      p.close();
    }
  });

  itPriv(
    "the hazard the reader avoids: on Bun, a JIT-compiled Atomics.load of a read-only ring mapping faults",
    { ...RING, runtimeScenario: true },
    () => {
      const child = spawnSync(process.execPath, childArgs(`${root}/test/ringbuf/atomics-ro-child.ts`), { encoding: "utf8", timeout: CHILD_TIMEOUT });
      if (runtime === "bun") {
        // If a Bun release stops faulting, the reader's plain loads are still right; this says so.
        expect(child.signal ?? child.status, `${child.stdout}${child.stderr}`).not.toBe(0);
      } else {
        expect(child.status, `${child.stdout}${child.stderr}`).toBe(0);
        expect(child.stdout).toMatch(/^ok \d+/m);
      }
    },
    CHILD_TIMEOUT,
  );

  itPriv("more than 2^32 bytes through one ring: consumer_pos carries into its high half and the kernel follows", { feature: [{ mapType: "ringbuf" }, { helper: "loop" }] }, () => {
    const SIZE = 16 << 20;
    const REC = 4088; // 4096 bytes a record with its header
    using rb = ringMap(SIZE);
    using src = BpfMap.create({ type: MapType.array, keySize: 4, valueSize: 4096, maxEntries: 1 });
    const v = new Uint8Array(4096);
    v[0] = 0x5a;
    v[REC - 1] = 0xa5;
    src.set(new Uint8Array(4), v);
    const perFill = Math.floor((SIZE - 1) / 4096);
    const p = loopProducer(rb, src, REC, perFill, 1);
    using r = new RingBufReader(rb);
    try {
      const pkt = new Uint8Array(64);
      let total = 0, bad = 0;
      const target = 2 ** 32 + 3 * SIZE;
      while (r.consumerPosition < target) {
        p.prog.testRun({ data: pkt });
        const n = r.drain((d, o, len) => {
          if (len !== REC || d[o] !== 0x5a || d[o + REC - 1] !== 0xa5) bad++;
        });
        expect(n).toBe(perFill); // a stale high half would show the ring as full or as empty here
        total += n;
      }
      expect(bad).toBe(0);
      expect(r.consumerPosition).toBe(total * 4096);
      expect(r.producerPosition).toBe(total * 4096);
      expect(r.consumerPosition).toBeGreaterThan(2 ** 32);
    } finally {
      p.close();
    }
  }, inVm ? 1_200_000 : 120_000);
});

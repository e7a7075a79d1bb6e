// A producer running at the same time as the reader, in another process (bpftool prog run of a
// pinned program), holding each record reserved (BUSY) for a few thousand instructions before it
// writes the record's sequence number and submits it: the reader must stop at a BUSY record and
// never hand out one before its producer committed it (a stale or half-written record would
// break the sequence). On one CPU (the VMs) the two cannot overlap, and the test still checks the order.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { BpfMap, BpfProgram, MapType, ProgramBuilder, ProgType, RingBufReader } from "../../mod.ts";
import { describePriv, inVm, itPriv } from "../helpers/env.ts";
import { tempMount } from "../helpers/fs.ts";
import { ringMap } from "./progs.ts";

const RING = { feature: { mapType: "ringbuf" } } as const;
const BPFTOOL = ["/usr/sbin/bpftool", "/usr/bin/bpftool"].find((p) => existsSync(p));

describePriv("RingBufReader with a concurrent producer", RING, () => {
  itPriv("never delivers a record its producer has not committed yet, and keeps the order", RING, async () => {
    if (BPFTOOL === undefined) return void console.warn("skip: needs bpftool (/usr/sbin/bpftool)");
    const runs = inVm ? 2000 : 20000;
    using rb = ringMap(1 << 20); // room for every record: none is dropped
    using seq = BpfMap.create({ type: MapType.array, keySize: 4, valueSize: 4, maxEntries: 1 });
    const delay = Array.from({ length: 10000 }, () => "r5 += 1").join("\n");
    using prog = BpfProgram.load({
      type: ProgType.socket_filter, name: "rb_slow", maps: { rb, seq },
      insns: new ProgramBuilder().asm(`
        r1 = rb ll
        r2 = 8
        r3 = 0
        call 131
        if r0 != 0 goto got
        exit
      got:
        r9 = r0
        r5 = 0
        ${delay}`).ldMapValue("r6", "seq").asm(`
        r7 = *(u32 *)(r6 + 0)
        r8 = r7
        r8 += 1
        *(u32 *)(r6 + 0) = r8
        *(u32 *)(r9 + 0) = r7
        r7 ^= -1
        *(u32 *)(r9 + 4) = r7
        r1 = r9
        r2 = 0
        call 132
        r0 = 0
        exit`).finish(),
    });
    const dir = mkdtempSync(join(tmpdir(), "tsbpf-rb-busy-"));
    const fs = tempMount("bpf");
    const pin = join(fs.dir, "rb_slow");
    prog.pin(pin);
    using r = new RingBufReader(rb);
    try {
      writeFileSync(join(dir, "pkt"), new Uint8Array(64));
      const child = spawn(BPFTOOL, ["prog", "run", "pinned", pin, "data_in", join(dir, "pkt"), "repeat", String(runs)], { stdio: "ignore" });
      let exited = false;
      const done = new Promise<number | null>((res) => child.on("exit", (code) => {
        exited = true;
        res(code);
      }));
      let next = 0, bad = 0, busy = 0, yielded = Date.now();
      const deadline = Date.now() + 120_000 * (inVm ? 10 : 1);
      while (Date.now() < deadline) {
        const rec = r.read();
        if (rec === null) {
          if (r.availableBytes !== 0) busy++; // the head is reserved, not committed yet
          if (Date.now() - yielded > 20) {
            await new Promise((res) => setTimeout(res, 0)); // lets the child's exit be noticed
            yielded = Date.now();
            if (exited && r.availableBytes === 0) break;
          }
          continue;
        }
        const dv = new DataView(rec.buffer, rec.byteOffset, 8);
        const s = dv.getUint32(0, true);
        if (s !== next || dv.getUint32(4, true) !== (~s >>> 0)) bad++;
        next = s + 1;
      }
      expect(await done).toBe(0);
      expect(bad).toBe(0);
      const produced = new DataView((seq.get(new Uint8Array(4)) as Uint8Array).buffer).getUint32(0, true);
      expect(next).toBe(produced);
      expect(produced).toBe(runs);
      console.info(`busy: ${runs} runs, ${produced} records, the reader stopped at a BUSY head ${busy} times`);
    } finally {
      rmSync(pin, { force: true });
      fs.unmount();
      rmSync(dir, { recursive: true, force: true });
    }
  }, inVm ? 1_200_000 : 180_000);
});

// PerfReader against samples real BPF programs write with bpf_perf_event_output: a socket filter
// run by BPF_PROG_TEST_RUN on a chosen CPU, and a raw tracepoint on getpid(). Contents byte for
// byte (with the kernel's padding), order per CPU, samples that straddle a ring's end, a full
// ring's lost-sample reports, read()/readInto()/drain(), waiting (for await, wait(), close(),
// wake-ups around the arming, the watermark and wakeupEvents), clean-up, and bad input refused
// before any syscall.
import { readdirSync, readFileSync } from "node:fs";
import { expect } from "vitest";
import { attachRawTracepoint, BpfMap, currentPid, MapType, PerfReader } from "../../mod.ts";
import { GETPID } from "../link/counter.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { spy } from "../map/spy.ts";
import { getpidReporter, onCpu, padded, pattern, perfMap, producer, recordBytes, seqOf } from "./progs.ts";

const PERF = { feature: { mapType: "perf_event_array" } } as const;
const RAW = { feature: [{ mapType: "perf_event_array" }, { progType: "raw_tracepoint" }] } as const;
const PAGE = 4096; // the tests' rings are one page on the supported (4 KiB page) hosts

/** Every sample the reader has now, copied, with its CPU. */
function readAll(r: PerfReader): { cpu: number; data: Uint8Array }[] {
  const out: { cpu: number; data: Uint8Array }[] = [];
  for (let s = r.read(); s !== null; s = r.read()) out.push({ cpu: r.cpu, data: s.slice() });
  return out;
}

describePriv("PerfReader", PERF, () => {
  itPriv("reads samples of odd lengths in order, byte for byte, each its length padded as the kernel pads it", PERF, () => {
    using events = perfMap();
    using r = new PerfReader(events);
    const cpu = r.cpus[0];
    const lens = [1, 2, 3, 4, 5, 7, 8, 9, 13, 63, 100, 255, 511, 512];
    const sent: Uint8Array[] = [];
    let bytes = 0;
    for (const len of lens) {
      const p = producer(events, len);
      try {
        onCpu(cpu, () => {
          for (let i = 0; i < 3; i++) expect(p.run()).toBe(0);
        });
        for (let i = 0; i < 3; i++) sent.push(pattern(i, len));
        bytes += 3 * recordBytes(len);
      } finally {
        p.close();
      }
    }
    expect(r.availableBytes).toBe(bytes);
    const got = readAll(r);
    expect(got.map((s) => s.cpu)).toEqual(sent.map(() => cpu));
    expect(got.map((s) => s.data.length)).toEqual(lens.flatMap((l) => [padded(l), padded(l), padded(l)]));
    expect(got.map((s, i) => s.data.subarray(0, sent[i].length))).toEqual(sent);
    expect(r.availableBytes).toBe(0);
    expect(r.read()).toBeNull();
    expect(r.lost).toBe(0);
  });

  itPriv("each CPU's samples come in the order written there, tagged with that CPU", PERF, () => {
    using events = perfMap();
    using r = new PerfReader(events);
    const p = producer(events, 16);
    try {
      const want = new Map<number, number[]>(r.cpus.map((c) => [c, []]));
      for (let round = 0; round < 6; round++) {
        for (const cpu of r.cpus) {
          onCpu(cpu, () => {
            for (let i = 0; i < 5; i++) {
              want.get(cpu)!.push(p.next());
              expect(p.run()).toBe(0);
            }
          });
        }
      }
      const got = new Map<number, number[]>(r.cpus.map((c) => [c, []]));
      const n = r.drain((data, offset, length, cpu) => {
        expect(length).toBe(padded(16));
        expect(data.slice(offset + 4, offset + 16)).toEqual(pattern(0, 16).subarray(4));
        got.get(cpu)!.push(seqOf(data.subarray(offset), 16));
      });
      expect(n).toBe(30 * r.cpus.length);
      expect(got).toEqual(want);
    } finally {
      p.close();
    }
  });

  itPriv("samples that straddle the ring's end arrive whole, by read() and by drain(), as the positions drift across it", PERF, () => {
    using events = perfMap();
    using r = new PerfReader(events, { perCpuBytes: PAGE, cpus: [0] });
    expect(r.size).toBe(PAGE);
    const lens = [333, 97, 8, 1];
    const ps = lens.map((len) => producer(events, len));
    try {
      let pos = 0;
      let straddled = 0, headerAtEnd = 0;
      const note = (len: number) => {
        const off = pos % PAGE;
        if (off + 12 < PAGE && off + 12 + padded(len) > PAGE) straddled++;
        if (off + 8 === PAGE) headerAtEnd++; // its size field and body start at the ring's first byte
        pos += recordBytes(len);
      };
      // First to the ring's last 8 bytes (one 24-byte record, then 16-byte ones), so that the
      // next record's header ends exactly at the end.
      const [p333, , p8, p1] = ps;
      onCpu(0, () => expect(p8.run()).toBe(0));
      expect(r.read()!.slice(0, 8)).toEqual(pattern(0, 8));
      note(8);
      for (let i = 0; i < (PAGE - 8 - recordBytes(8)) / recordBytes(1); i++) {
        onCpu(0, () => expect(p1.run()).toBe(0));
        expect(seqOf(r.read()!, 1)).toBe(i & 0xff);
        note(1);
      }
      expect(pos % PAGE).toBe(PAGE - 8);
      onCpu(0, () => expect(p333.run()).toBe(0));
      expect(r.read()!.slice(0, 333)).toEqual(pattern(0, 333));
      note(333);
      expect(headerAtEnd).toBe(1);
      for (let round = 0; round < 60; round++) {
        const seqs = ps.map((p) => p.next());
        onCpu(0, () => ps.forEach((p) => expect(p.run()).toBe(0)));
        if (round % 2 === 0) {
          for (let k = 0; k < lens.length; k++) {
            const s = r.read();
            expect(s).not.toBeNull();
            expect(s!.slice(0, lens[k])).toEqual(pattern(seqs[k], lens[k]));
            note(lens[k]);
          }
          r.commit();
        } else {
          let k = 0;
          expect(r.drain((data, offset, length, cpu, view) => {
            expect(cpu).toBe(0);
            expect(length).toBe(padded(lens[k]));
            expect(data.slice(offset, offset + lens[k])).toEqual(pattern(seqs[k], lens[k]));
            if (lens[k] >= 4) expect(view.getUint32(offset, true)).toBe(seqs[k]);
            note(lens[k++]);
          })).toBe(lens.length);
        }
      }
      expect(straddled).toBeGreaterThan(5);
      expect(pos).toBeGreaterThan(8 * PAGE);
      expect(r.availableBytes).toBe(0);
    } finally {
      for (const p of ps) p.close();
    }
  });

  itPriv("a full ring drops samples; the count arrives as a lost report before the next sample: lost, lostOn(), onLost", PERF, () => {
    using events = perfMap();
    const reports: [number, number][] = [];
    const cpu = 0;
    let throwNext = false;
    const onLost = (c: number, n: number) => {
      reports.push([c, n]);
      if (throwNext) {
        throwNext = false;
        throw new Error("onLost threw");
      }
    };
    using r = new PerfReader(events, { perCpuBytes: PAGE, cpus: [cpu], onLost });
    const p = producer(events, 100); // 112 bytes a record: 36 fit in a page (the kernel keeps one byte free)
    try {
      let failed = 0;
      onCpu(cpu, () => {
        for (let i = 0; i < 50; i++) if (p.run() !== 0) failed++;
      });
      const fit = Math.floor((PAGE - 1) / recordBytes(100));
      expect(50 - failed).toBe(fit);
      expect(readAll(r).map((s) => seqOf(s.data, 100))).toEqual(Array.from({ length: fit }, (_, i) => i));
      expect(r.lost).toBe(0); // the kernel writes its report with the next sample that fits
      onCpu(cpu, () => expect(p.run()).toBe(0));
      const s = r.read();
      expect(seqOf(s!, 100)).toBe(50);
      expect(r.lost).toBe(failed);
      expect(r.lostOn(cpu)).toBe(failed);
      expect(reports).toEqual([[cpu, failed]]);
      expect(() => r.lostOn(12345)).toThrow(RangeError);
      r.commit();
      // drain() counts reports too, and a throwing onLost leaves its report consumed.
      onCpu(cpu, () => {
        for (let i = 0; i < 50; i++) p.run();
      });
      expect(r.drain(() => {})).toBe(fit);
      onCpu(cpu, () => p.run());
      expect(r.drain(() => {})).toBe(1);
      expect(r.lost).toBe(failed + (50 - fit));
      expect(reports).toEqual([[cpu, failed], [cpu, 50 - fit]]);
      onCpu(cpu, () => {
        for (let i = 0; i < 40; i++) p.run();
      });
      expect(r.drain(() => {})).toBe(fit);
      onCpu(cpu, () => expect(p.run()).toBe(0));
      throwNext = true;
      expect(() => r.drain(() => {})).toThrow("onLost threw");
      expect(r.drain(() => {})).toBe(1); // the report is not counted twice
      expect(r.lost).toBe(failed + (50 - fit) + (40 - fit));
      expect(reports.length).toBe(3);
    } finally {
      p.close();
    }
  });

  itPriv("read() hands out a view that holds until commit(); data_tail moves at commit", PERF, () => {
    using events = perfMap();
    using r = new PerfReader(events, { cpus: [0] });
    const p = producer(events, 16);
    try {
      onCpu(0, () => p.runs(2));
      const a = r.read()!;
      expect(r.availableBytes).toBe(2 * recordBytes(16)); // not yet released
      expect(a.slice(0, 16)).toEqual(pattern(0, 16));
      r.commit();
      expect(r.availableBytes).toBe(recordBytes(16));
      expect(r.read()!.slice(0, 16)).toEqual(pattern(1, 16));
      expect(r.read()).toBeNull(); // releases the second on the way
      expect(r.availableBytes).toBe(0);
    } finally {
      p.close();
    }
  });

  itPriv("readInto() copies and consumes; a buffer too small throws a RangeError and leaves the sample", PERF, () => {
    using events = perfMap();
    using r = new PerfReader(events, { cpus: [0] });
    const p = producer(events, 40);
    try {
      onCpu(0, () => p.runs(2));
      expect(() => r.readInto(new Uint8Array(padded(40) - 1))).toThrow(RangeError);
      expect(r.availableBytes).toBe(2 * recordBytes(40));
      const buf = new Uint8Array(64);
      expect(r.readInto(buf)).toBe(padded(40));
      expect(buf.subarray(0, 40)).toEqual(pattern(0, 40));
      expect(r.cpu).toBe(0);
      expect(r.readInto(buf)).toBe(padded(40));
      expect(buf.subarray(0, 40)).toEqual(pattern(1, 40));
      expect(r.readInto(buf)).toBe(-1);
    } finally {
      p.close();
    }
  });

  itPriv("pause() takes the rings out of the map (the program's output gets -ENOENT), keeps what was written; resume() puts them back", PERF, () => {
    using events = perfMap();
    const r = new PerfReader(events, { cpus: [0] });
    const p = producer(events, 16);
    const ENOENT = -2;
    try {
      onCpu(0, () => p.runs(1));
      expect(r.paused).toBe(false);
      r.pause();
      r.pause();
      expect(r.paused).toBe(true);
      expect(onCpu(0, () => p.run())).toBe(ENOENT);
      const seen: number[] = [];
      expect(r.drain((d, o) => void seen.push(seqOf(d.subarray(o), 16)))).toBe(1);
      expect(seen).toEqual([0]);
      r.resume();
      r.resume();
      expect(r.paused).toBe(false);
      expect(onCpu(0, () => p.run())).toBe(0);
      expect(r.drain((d, o) => void seen.push(seqOf(d.subarray(o), 16)))).toBe(1);
      expect(seen).toEqual([0, 2]); // run 1 wrote nothing
      r.pause();
      r.close(); // paused: close takes nothing out twice
      expect(() => r.resume()).toThrow(/closed/);
      expect(onCpu(0, () => p.run())).toBe(ENOENT);
    } finally {
      p.close();
      r.close();
    }
  });

  itPriv("drain(fn, max) stops at max or when fn returns false; a throwing fn consumes its sample", PERF, () => {
    using events = perfMap();
    using r = new PerfReader(events, { cpus: [0] });
    const p = producer(events, 8);
    try {
      onCpu(0, () => p.runs(10));
      const seqs: number[] = [];
      const fn = (d: Uint8Array, o: number) => void seqs.push(d[o]);
      expect(r.drain(fn, 3)).toBe(3);
      expect(r.availableBytes).toBe(7 * recordBytes(8));
      expect(r.drain((d, o) => (fn(d, o), d[o] !== 5))).toBe(3); // 3, 4, 5: stops after 5
      expect(() => r.drain(() => {
        throw new Error("boom");
      })).toThrow("boom");
      expect(r.availableBytes).toBe(3 * recordBytes(8));
      expect(r.drain(fn)).toBe(3);
      expect(seqs).toEqual([0, 1, 2, 3, 4, 5, 7, 8, 9]);
      expect(r.drain(fn)).toBe(0);
      onCpu(0, () => p.runs(1));
      expect(r.drain(fn, 0)).toBe(0);
      expect(r.availableBytes).toBe(recordBytes(8));
    } finally {
      p.close();
    }
  });

  itPriv("a raw tracepoint's samples: this process's getpid() calls, in order, on the CPU that made them", RAW, () => {
    using events = perfMap();
    using r = new PerfReader(events);
    using prog = getpidReporter(events);
    using link = attachRawTracepoint(prog, "sys_enter");
    const cpu = r.cpus[r.cpus.length - 1];
    onCpu(cpu, () => {
      for (let i = 0; i < 5; i++) currentPid();
    });
    link.close();
    currentPid(); // detached: no sample
    const got = readAll(r);
    expect(got.length).toBe(5);
    for (const s of got) {
      expect(s.cpu).toBe(cpu);
      expect(s.data.length).toBe(padded(16));
      const dv = new DataView(s.data.buffer);
      expect([dv.getBigUint64(0, true), dv.getBigUint64(8, true)]).toEqual([BigInt(currentPid()), BigInt(GETPID)]);
    }
  });

  itPriv("close() takes the rings out of the map (programs then get -ENOENT) and leaves no fd behind", PERF, async () => {
    using events = perfMap();
    const fds = () => readdirSync("/proc/self/fd").length;
    {
      using r = new PerfReader(events);
      await r.wait(10); // the process's fd waiter exists from here on
    }
    const p = producer(events, 8);
    try {
      const before = fds();
      for (let i = 0; i < 3; i++) {
        const r = new PerfReader(events, { cpus: [0] });
        onCpu(0, () => expect(p.run()).toBe(0));
        expect(r.read()).not.toBeNull();
        const held = r.read();
        r.close();
        expect(r.closed).toBe(true);
        r.close(); // idempotent
        expect(held).toBeNull();
        expect(() => r.read()).toThrow(TypeError);
        expect(() => r.availableBytes).toThrow(TypeError);
        onCpu(0, () => expect(p.run()).toBe(-2));
      }
      expect(fds()).toBe(before);
    } finally {
      p.close();
    }
  });

  itPriv("views handed out read zeros after close() instead of faulting", PERF, () => {
    using events = perfMap();
    const r = new PerfReader(events, { cpus: [0] });
    const p = producer(events, 16);
    try {
      onCpu(0, () => p.run());
      const s = r.read()!;
      expect(s[4]).toBe(pattern(0, 16)[4]);
      r.close();
      expect([...s]).toEqual(new Array(padded(16)).fill(0));
    } finally {
      p.close();
      r.close();
    }
  });

  itPriv("takes a BpfMap or an fd and keeps its own duplicate: closing the map object leaves the rings in place", PERF, () => {
    const events = perfMap();
    const r = new PerfReader(events.fd, { cpus: [0] });
    const p = producer(events, 8);
    try {
      expect(r.fd).not.toBe(events.fd);
      expect(r.id).toBe(events.id);
      expect(r.cpus).toEqual([0]);
      // The kernel drops a perf event array's entries when the map file they were stored through
      // closes; the reader's duplicate is that file too.
      events.close();
      onCpu(0, () => expect(p.run()).toBe(0));
      expect(seqOf(r.read()!, 8)).toBe(0);
    } finally {
      p.close();
      r.close();
      events.close();
    }
  });

  itPriv("stores its rings only at the CPUs asked for: a program on another CPU finds none (-ENOENT)", {
    ...PERF, skipIf: onlineCount() < 2 ? "needs two online CPUs" : null,
  }, () => {
    using events = perfMap();
    using r = new PerfReader(events, { cpus: [0] });
    const p = producer(events, 8);
    try {
      onCpu(1, () => expect(p.run()).toBe(-2));
      onCpu(0, () => expect(p.run()).toBe(0));
      expect(readAll(r).map((x) => [x.cpu, seqOf(x.data, 8)])).toEqual([[0, 1]]);
    } finally {
      p.close();
    }
  });

  itPriv("refuses what is not a perf event array, and bad options, before making anything", PERF, () => {
    using events = perfMap(2);
    new PerfReader(events, { cpus: [0] }).close(); // the page size is read (and cached) from here on
    using arr = BpfMap.create({ type: MapType.array, keySize: 4, valueSize: 4, maxEntries: 1 });
    const none = (opts: object, why: RegExp | typeof Error) => {
      const s = spy(() => new PerfReader(events, opts as never));
      expect(() => {
        throw s.error;
      }).toThrow(why);
      expect(s.bpf).toEqual([]);
      expect(s.syscalls).toBe(0);
    };
    none({ perCpuBytes: 0 }, RangeError);
    none({ perCpuBytes: -4096 }, RangeError);
    none({ perCpuBytes: 4096.5 }, RangeError);
    none({ perCpuBytes: 2 ** 31 }, /perCpuBytes must be an integer in \[1, 1073741824\]/);
    none({ perCpuBytes: "4096" }, RangeError);
    none({ perCpuBytes: PAGE, watermark: PAGE + 1 }, /watermark must be an integer in \[1, 4096\]/);
    none({ watermark: 0 }, RangeError);
    none({ watermark: 64, wakeupEvents: 1 }, /watermark or wakeupEvents, not both/);
    none({ wakeupEvents: 0 }, RangeError);
    none({ wakeupEvents: 1.5 }, RangeError);
    none({ cpus: [] }, /cpus is empty/);
    none({ cpus: [0, 0] }, /names a CPU twice/);
    none({ cpus: [-1] }, RangeError);
    none({ cpus: "0" }, TypeError);
    none({ cpus: [0], onLost: 5 }, /onLost must be a function/);
    expect(() => new PerfReader(events, null as never)).toThrow(TypeError);
    // Past the options: what the map is, from its info (one bpf() call), before any fd is made.
    const check = (map: unknown, opts: object, why: RegExp | typeof Error, calls: number) => {
      const s = spy(() => new PerfReader(map as never, opts as never));
      expect(() => {
        throw s.error;
      }).toThrow(why);
      expect(s.bpf.length).toBe(calls);
      expect(s.syscalls).toBe(0);
    };
    check(arr, { cpus: [0] }, /is a array map, not perf_event_array/, 1);
    check(events, { cpus: [0, 2] }, /has max_entries 2: no key for CPU 2/, 1);
    check("3", { cpus: [0] }, /expects a perf_event_array map/, 0);
    check(-1, { cpus: [0] }, RangeError, 0);
    using r = new PerfReader(events, { cpus: [0] });
    expect(() => r.drain(undefined as never)).toThrow(TypeError);
    expect(() => r.drain(() => {}, -1)).toThrow(RangeError);
    expect(() => r.drain(() => {}, 1.5)).toThrow(RangeError);
    expect(() => r.readInto(new ArrayBuffer(8) as never)).toThrow(TypeError);
    return expect(r.wait(-1)).rejects.toThrow(RangeError);
  });
});

function onlineCount(): number {
  return readFileSync("/sys/devices/system/cpu/online", "utf8").trim().split(",").reduce((n, part) => {
    const [a, b] = part.split("-").map(Number);
    return n + (b === undefined ? 1 : b - a + 1);
  }, 0);
}

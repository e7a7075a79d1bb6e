// perf_event programs sampling a software clock of this process (through a bpf_link and through
// the ioctl), and the perf_event_attr layout the attach paths share.
import { expect, it } from "vitest";
import {
  attachPerfEvent, currentPid, encodePerfEventAttr, PERF_ATTR_SIZE, PerfAttrFlag, PerfCountSw, perfEventOpen, PerfType, ProgType,
} from "../../mod.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { count, countsMap, loadCounter } from "./counter.ts";

/** Burns CPU for `ms` milliseconds in this thread: the task clock runs only while it does. */
function spin(ms: number): void {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  expect(x).toBeGreaterThan(0);
}

it("perf_event_attr is laid out as include/uapi/linux/perf_event.h has it", () => {
  const buf = new Uint8Array(8);
  const { bytes, held } = encodePerfEventAttr({
    type: PerfType.software, config: PerfCountSw.task_clock, samplePeriod: 1_000_000, freq: false, sampleType: 7n, readFormat: 3,
    flags: PerfAttrFlag.disabled | PerfAttrFlag.sigtrap, wakeup: 9, bpType: 4, config1: buf, config2: 0x1122334455n,
  });
  const dv = new DataView(bytes.buffer);
  expect(bytes.length).toBe(PERF_ATTR_SIZE);
  expect(PERF_ATTR_SIZE).toBe(112); // PERF_ATTR_SIZE_VER5
  expect(dv.getUint32(0, true)).toBe(1); // type
  expect(dv.getUint32(4, true)).toBe(112); // size
  expect(dv.getBigUint64(8, true)).toBe(1n); // config
  expect(dv.getBigUint64(16, true)).toBe(1_000_000n); // sample_period
  expect(dv.getBigUint64(24, true)).toBe(7n); // sample_type
  expect(dv.getBigUint64(32, true)).toBe(3n); // read_format
  expect(dv.getBigUint64(40, true)).toBe((1n << 37n) | 1n); // disabled:1 ... sigtrap:1 (bit 37)
  expect(dv.getUint32(48, true)).toBe(9); // wakeup_events
  expect(dv.getUint32(52, true)).toBe(4); // bp_type
  expect(dv.getBigUint64(56, true)).not.toBe(0n); // config1: the buffer's address
  expect(held).toEqual([buf]);
  expect(dv.getBigUint64(64, true)).toBe(0x1122334455n); // config2
  const f = new DataView(encodePerfEventAttr({ type: 1, samplePeriod: 99, freq: true }).bytes.buffer);
  expect(f.getBigUint64(40, true)).toBe(1n << 10n); // freq:1
  expect(f.getBigUint64(16, true)).toBe(99n); // sample_freq shares sample_period's place
  expect(() => encodePerfEventAttr({ type: -1 })).toThrow(RangeError);
  expect(() => encodePerfEventAttr({ type: 1, config: -1 })).toThrow(RangeError);
  expect(() => encodePerfEventAttr({ type: 1, flags: 1 as unknown as bigint })).toThrow(TypeError);
  expect(() => perfEventOpen({ type: 1 }, { pid: -1, cpu: -1 })).toThrow(/needs a cpu/);
});

const PERF = { feature: { progType: "perf_event" } } as const;

describePriv("attachPerfEvent", PERF, () => {
  for (const via of ["auto", "ioctl"] as const) {
    itPriv(`samples this process's task clock (via ${via}); close() stops it`, PERF, () => {
      using counts = countsMap();
      using prog = loadCounter(counts, { type: ProgType.perf_event });
      // Every 100 us of this thread's CPU time.
      const link = attachPerfEvent(prog, { type: PerfType.software, config: PerfCountSw.task_clock, samplePeriod: 100_000, pid: 0, via });
      try {
        if (via === "ioctl") expect(link.isBpfLink).toBe(false);
        spin(50);
        expect(count(counts)).toBeGreaterThan(0n);
        const info = link.info();
        // Newer kernels give the software clocks PMUs of their own: the type reported may differ from the one asked.
        expect(info).toMatchObject({ type: "perf_event", progId: prog.id, event: { kind: "event" } });
      } finally {
        link.close();
      }
      const frozen = count(counts);
      spin(20);
      expect(count(counts)).toBe(frozen);
    });
  }

  itPriv("samples at a frequency on one CPU", PERF, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.perf_event });
    using link = attachPerfEvent(prog, { type: PerfType.software, config: PerfCountSw.cpu_clock, frequency: 1000, cpu: 0 });
    expect(link.description).toMatch(/^perf event type 1 config 0 of program "counter"/);
    expect(currentPid()).toBe(process.pid);
  });

  itPriv("bad options are TypeErrors before any syscall", PERF, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.perf_event });
    expect(() => attachPerfEvent(prog, { type: 1, config: 0, pid: 0 })).toThrow(/give samplePeriod or frequency/);
    expect(() => attachPerfEvent(prog, { type: 1, config: 0, samplePeriod: 1, frequency: 1, pid: 0 })).toThrow(/give samplePeriod or frequency/);
    expect(() => attachPerfEvent(prog, { type: 1, config: 0, samplePeriod: 1 })).toThrow(/give cpu .* or pid/);
  });
});

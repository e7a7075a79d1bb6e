/**
 * Perf buffers: PerfReader reads the per-CPU rings of a BPF_MAP_TYPE_PERF_EVENT_ARRAY that BPF
 * programs fill with bpf_perf_event_output() (samples, lost-sample reports, async iteration).
 * @module
 */
export { type PerfMapLike, PerfReader, type PerfReaderOptions, type PerfRecordFn } from "./reader.ts";

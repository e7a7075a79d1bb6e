/**
 * Ring buffers: RingBufReader reads a BPF_MAP_TYPE_RINGBUF in place (records, batches, async
 * iteration), UserRingBufWriter fills a BPF_MAP_TYPE_USER_RINGBUF for a BPF program to drain.
 * @module
 */
export { RingBufReader, type RingBufRecordFn } from "./reader.ts";
export { type MappedRegion, type RingMapLike } from "./mapping.ts";
export { UserRingBufWriter } from "./user-writer.ts";

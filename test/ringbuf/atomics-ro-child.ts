// Child of positions.test.ts: Atomics.load, JIT-warm, on a ring buffer's read-only producer page.
// Prints "ok <sum>" where the runtime takes it; Bun's JIT turns it into a locked read-modify-write
// that faults on a read-only page (SIGSEGV).
import { BpfMap, getBackend, MapType } from "../../mod.ts";
import { MapFlag, mmapFd, Prot } from "../../src/sys/mmap.ts";
import { pageSize } from "../../src/sys/page-size.ts";

const b = getBackend();
const pg = pageSize();
const rb = BpfMap.create({ type: MapType.ringbuf, keySize: 0, valueSize: 0, maxEntries: 1 << 16 });
const addr = mmapFd(b, rb.fd, pg, Prot.read, MapFlag.shared, pg, "ring buffer producer page");
const ro = new Int32Array(b.view!(addr, pg));
let sum = 0;
for (let i = 0; i < 5_000_000; i++) sum += Atomics.load(ro, i & 7);
console.log(`ok ${sum}`);
rb.close();

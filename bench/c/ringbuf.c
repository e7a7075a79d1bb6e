// The ring buffer benchmark's C side (bench/ringbuf.mjs), with Debian's libbpf-dev (-lbpf).
//
// Built as a shared library, loaded into the JS runtime's process through its FFI: libbpf's
// ring_buffer__consume drains the same ring, filled by the same producer program, in chunks that
// alternate with RingBufReader.drain. Its callback does what the JS one does (adds the record's
// length and first byte to a sum), so the sums prove both saw the same records.
//
// Built with -DRINGBUF_LATENCY_MAIN, a standalone program: the wake-up latency C gets on this
// machine, a thread blocked in ring_buffer__poll while the main thread submits one record with
// BPF_PROG_TEST_RUN, as the reference for the async iterator's. Prints one JSON object.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdint.h>

static struct ring_buffer *rb;
// uint32 arithmetic, wrapping, as the JS side's int32 sum: neither side's callback allocates
// (a JS number past the small-integer range would be a new heap number per record on V8).
static uint32_t sum;

static int on_record(void *ctx, void *data, size_t len) {
  (void)ctx;
  sum += (uint32_t)len + ((unsigned char *)data)[0];
  return 0;
}

// ring_buffer__new on map fd `fd`: 0, or -1.
int c_rb_open(int fd) {
  rb = ring_buffer__new(fd, on_record, 0, 0);
  return rb ? 0 : -1;
}

// ring_buffer__consume: the records it delivered (or a negative error).
int c_rb_consume(int unused) {
  (void)unused;
  return ring_buffer__consume(rb);
}

// The sum over every record consumed so far of its length plus its first byte.
double c_rb_sum(int unused) {
  (void)unused;
  return (double)(int32_t)sum;
}

int c_rb_close(int unused) {
  (void)unused;
  ring_buffer__free(rb);
  rb = 0;
  return 0;
}

#ifdef RINGBUF_LATENCY_MAIN
#include <linux/bpf.h>
#include "latency.h"

static int on_wake(void *ctx, void *data, size_t len) { (void)ctx; (void)data; (void)len; atomic_store(&seen, 1); return 0; }
static void *poller(void *p) { for (;;) ring_buffer__poll(p, -1); return 0; }

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 200;
  int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, 0, 0, 0, 1 << 16, 0);
  if (fd < 0) { perror("map_create"); return 1; }
  // *(u64 *)(r10 - 8) = 7; bpf_ringbuf_output(rb, r10 - 8, 8, 0); return 0;
  struct bpf_insn insns[] = {
    { .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = 10, .off = -8, .imm = 7 },
    { .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = 1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = fd }, { 0 },
    { .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 2, .src_reg = 10 },
    { .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 2, .imm = -8 },
    { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 3, .imm = 8 },
    { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 4, .imm = 0 },
    { .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_ringbuf_output },
    { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
    { .code = BPF_JMP | BPF_EXIT },
  };
  int prog = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, 0, "GPL", insns, sizeof insns / sizeof insns[0], 0);
  if (prog < 0) { perror("prog_load"); return 1; }
  struct ring_buffer *r = ring_buffer__new(fd, on_wake, 0, 0);
  if (!r) { perror("ring_buffer__new"); return 1; }
  return run_latency(n, prog, poller, r);
}
#endif

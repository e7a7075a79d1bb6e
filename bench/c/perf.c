// The perf buffer benchmark's C side (bench/perf.mjs), with Debian's libbpf-dev (-lbpf).
//
// Built as a shared library, loaded into the JS runtime's process through its FFI: libbpf's
// perf_buffer__consume reads a perf event array of its own (perf_buffer__new makes and stores one
// event per CPU, as PerfReader does for its map), filled by the same producer program as the
// library's, in chunks that alternate with PerfReader.drain. Its callback does what the JS one
// does (adds the sample's size and first byte to a sum) and counts the samples, so the sums prove
// both saw the same records.
//
// Built with -DPERF_LATENCY_MAIN, a standalone program: the wake-up latency C gets on this
// machine, a thread blocked in perf_buffer__poll while the main thread writes one sample with
// BPF_PROG_TEST_RUN, as the reference for the async iterator's. Prints one JSON object.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdint.h>
#include <unistd.h>

static struct perf_buffer *pb;
// uint32 arithmetic, wrapping, as the JS side's int32 sum: neither side's callback allocates
// (a JS number past the small-integer range would be a new heap number per record on V8).
static uint32_t sum;
static int pages = 8;
static int samples;
static long lost;

static void on_sample(void *ctx, int cpu, void *data, __u32 size) {
  (void)ctx;
  (void)cpu;
  sum += (uint32_t)size + ((unsigned char *)data)[0];
  samples++;
}

static void on_lost(void *ctx, int cpu, __u64 n) {
  (void)ctx;
  (void)cpu;
  lost += (long)n;
}

// The data bytes of each CPU's ring for the next c_pb_open (a power-of-two number of pages).
int c_pb_bytes(int n) {
  pages = n / (int)sysconf(_SC_PAGESIZE);
  return 0;
}

// perf_buffer__new on perf event array fd `fd`: 0, or -1.
int c_pb_open(int fd) {
  pb = perf_buffer__new(fd, pages, on_sample, on_lost, 0, 0);
  return pb ? 0 : -1;
}

// perf_buffer__consume: the samples it delivered (or a negative error).
int c_pb_consume(int unused) {
  (void)unused;
  int before = samples;
  int err = perf_buffer__consume(pb);
  return err < 0 ? err : samples - before;
}

// The sum over every sample consumed so far of its size plus its first byte.
double c_pb_sum(int unused) {
  (void)unused;
  return (double)(int32_t)sum;
}

// Samples the kernel reported lost so far.
double c_pb_lost(int unused) {
  (void)unused;
  return (double)lost;
}

int c_pb_close(int unused) {
  (void)unused;
  perf_buffer__free(pb);
  pb = 0;
  return 0;
}

#ifdef PERF_LATENCY_MAIN
#include <linux/bpf.h>
#include "latency.h"

static void on_wake(void *ctx, int cpu, void *data, __u32 size) { (void)ctx; (void)cpu; (void)data; (void)size; atomic_store(&seen, 1); }
static void *poller(void *p) { for (;;) perf_buffer__poll(p, -1); return 0; }

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 200;
  int ncpu = libbpf_num_possible_cpus();
  int fd = bpf_map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 0, 4, 4, ncpu, 0);
  if (fd < 0) { perror("map_create"); return 1; }
  // r6 = ctx; *(u64 *)(r10 - 8) = 7; bpf_perf_event_output(r6, events, BPF_F_CURRENT_CPU, r10 - 8, 8); return 0;
  // (the flags by a 32-bit move: its upper half is the skb bytes to append, which must be 0)
  struct bpf_insn insns[] = {
    { .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 6, .src_reg = 1 },
    { .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = 10, .off = -8, .imm = 7 },
    { .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 1, .src_reg = 6 },
    { .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = 2, .src_reg = BPF_PSEUDO_MAP_FD, .imm = fd }, { 0 },
    { .code = BPF_ALU | BPF_MOV | BPF_K, .dst_reg = 3, .imm = -1 },
    { .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 4, .src_reg = 10 },
    { .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 4, .imm = -8 },
    { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 5, .imm = 8 },
    { .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_perf_event_output },
    { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
    { .code = BPF_JMP | BPF_EXIT },
  };
  int prog = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, 0, "GPL", insns, sizeof insns / sizeof insns[0], 0);
  if (prog < 0) { perror("prog_load"); return 1; }
  struct perf_buffer *p = perf_buffer__new(fd, 16, on_wake, 0, 0, 0);
  if (!p) { perror("perf_buffer__new"); return 1; }
  return run_latency(n, prog, poller, p);
}
#endif

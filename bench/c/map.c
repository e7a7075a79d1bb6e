// C baseline for bench/map.ts: the same operations through libc's syscall(), with a reused attr.
// Prints one JSON object of ns/op.
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long sys_bpf(int cmd, union bpf_attr *a, unsigned size) { return syscall(SYS_bpf, cmd, a, size); }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  long rounds = argc > 2 ? atol(argv[2]) : 200;
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_HASH; a.key_size = 4; a.value_size = 8; a.max_entries = 1024;
  int fd = sys_bpf(BPF_MAP_CREATE, &a, sizeof a);
  if (fd < 0) { perror("map_create"); return 1; }
  uint32_t k; uint64_t v;
  for (k = 0; k < 1024; k++) {
    v = k * 2;
    memset(&a, 0, sizeof a); a.map_fd = fd; a.key = (uintptr_t)&k; a.value = (uintptr_t)&v;
    if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a, 32) < 0) { perror("update"); return 1; }
  }
  k = 7;
  double t0 = now();
  for (long i = 0; i < n; i++) {
    a.map_fd = fd; a.key = (uintptr_t)&k; a.value = (uintptr_t)&v; a.flags = 0;
    if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a, 32) < 0) return 2;
  }
  double lookup = (now() - t0) / n;
  t0 = now();
  for (long i = 0; i < n; i++) {
    a.map_fd = fd; a.key = (uintptr_t)&k; a.value = (uintptr_t)&v; a.flags = BPF_ANY;
    if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a, 32) < 0) return 3;
  }
  double update = (now() - t0) / n;

  uint32_t keys[1024], out_batch;
  uint64_t vals[1024];
  t0 = now();
  for (long r = 0; r < rounds; r++) {
    memset(&a, 0, sizeof a);
    a.batch.map_fd = fd; a.batch.keys = (uintptr_t)keys; a.batch.values = (uintptr_t)vals;
    a.batch.count = 1024; a.batch.out_batch = (uintptr_t)&out_batch;
    long rc = sys_bpf(BPF_MAP_LOOKUP_BATCH, &a, sizeof a.batch);
    if (rc < 0 && a.batch.count != 1024) { perror("lookup_batch"); return 4; }
  }
  double batch = (now() - t0) / rounds;
  t0 = now();
  for (long r = 0; r < rounds; r++) {
    for (k = 0; k < 1024; k++) {
      a.map_fd = fd; a.key = (uintptr_t)&k; a.value = (uintptr_t)&vals[k]; a.flags = 0;
      if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a, 32) < 0) return 5;
    }
  }
  double singles = (now() - t0) / rounds;
  printf("{\"lookup\": %.1f, \"update\": %.1f, \"batch1024\": %.1f, \"single1024\": %.1f}\n", lookup, update, batch, singles);
  close(fd);
  return 0;
}

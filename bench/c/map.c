// The standalone C reference for bench/run.mjs: the loops of bench/c/loops.c in a process of
// their own (single-threaded, unlike any JS runtime), through libc's syscall() with a reused attr.
// Each loop runs in CHUNKS timed chunks and reports the median chunk's ns/op, so a burst of
// interference (another VM on the host, a kernel thread) moves one chunk, not the result.
// Last, "threaded": the lookup loop with one idle thread against none, in chunks that alternate
// (start a thread, time a chunk, end it, time a chunk), as the median ratio of the pairs. A
// process with threads shares its fd table, and then the kernel takes a file reference on every
// bpf() call where a single-threaded one borrows it: every JS runtime is in that case.
// Prints one JSON object of ns/op (and that ratio).
#include <linux/bpf.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CHUNKS 21

static long sys_bpf(int cmd, union bpf_attr *a, unsigned size) { return syscall(SYS_bpf, cmd, a, size); }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
static int cmp(const void *x, const void *y) { double a = *(const double *)x, b = *(const double *)y; return (a > b) - (a < b); }
static double median(double *t) { qsort(t, CHUNKS, sizeof *t, cmp); return t[CHUNKS / 2]; }
static void *idle(void *p) { (void)p; for (;;) pause(); return 0; }

// ns per lookup of `per` lookups with the attr `a` already written.
static double lookups(union bpf_attr *a, long per) {
  double t0 = now();
  for (long i = 0; i < per; i++)
    if (sys_bpf(BPF_MAP_LOOKUP_ELEM, a, 32) < 0) exit(6);
  return (now() - t0) / per;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  long rounds = argc > 2 ? atol(argv[2]) : 200;
  long per = n / CHUNKS, rper = rounds / CHUNKS > 0 ? rounds / CHUNKS : 1;
  double t[CHUNKS], t0;
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
  for (int c = 0; c < CHUNKS; c++) {
    t0 = now();
    for (long i = 0; i < per; i++) {
      a.map_fd = fd; a.key = (uintptr_t)&k; a.value = (uintptr_t)&v; a.flags = 0;
      if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a, 32) < 0) return 2;
    }
    t[c] = (now() - t0) / per;
  }
  double lookup = median(t);
  for (int c = 0; c < CHUNKS; c++) {
    t0 = now();
    for (long i = 0; i < per; i++) {
      a.map_fd = fd; a.key = (uintptr_t)&k; a.value = (uintptr_t)&v; a.flags = BPF_ANY;
      if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a, 32) < 0) return 3;
    }
    t[c] = (now() - t0) / per;
  }
  double update = median(t);

  uint32_t keys[1024], out_batch;
  uint64_t vals[1024];
  for (int c = 0; c < CHUNKS; c++) {
    t0 = now();
    for (long r = 0; r < rper; r++) {
      memset(&a, 0, sizeof a);
      a.batch.map_fd = fd; a.batch.keys = (uintptr_t)keys; a.batch.values = (uintptr_t)vals;
      a.batch.count = 1024; a.batch.out_batch = (uintptr_t)&out_batch;
      long rc = sys_bpf(BPF_MAP_LOOKUP_BATCH, &a, sizeof a.batch);
      if (rc < 0 && a.batch.count != 1024) { perror("lookup_batch"); return 4; }
    }
    t[c] = (now() - t0) / rper;
  }
  double batch = median(t);
  for (int c = 0; c < CHUNKS; c++) {
    t0 = now();
    for (long r = 0; r < rper; r++) {
      for (k = 0; k < 1024; k++) {
        a.map_fd = fd; a.key = (uintptr_t)&k; a.value = (uintptr_t)&vals[k]; a.flags = 0;
        if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a, 32) < 0) return 5;
      }
    }
    t[c] = (now() - t0) / rper;
  }
  double singles = median(t);

  memset(&a, 0, sizeof a);
  k = 7; a.map_fd = fd; a.key = (uintptr_t)&k; a.value = (uintptr_t)&v;
  for (int c = 0; c < CHUNKS; c++) {
    pthread_t th;
    if (pthread_create(&th, 0, idle, 0) != 0) { perror("pthread_create"); return 1; }
    usleep(1000);
    double with = lookups(&a, per / 2);
    pthread_cancel(th);
    pthread_join(th, 0);
    usleep(1000); // join returns when the thread's tid is cleared, a little before it drops the fd table
    t[c] = with / lookups(&a, per / 2);
  }
  double threaded = median(t);
  printf("{\"lookup\": %.1f, \"update\": %.1f, \"batch1024\": %.1f, \"single1024\": %.1f, \"threaded\": %.3f}\n", lookup, update, batch, singles, threaded);
  close(fd);
  return 0;
}

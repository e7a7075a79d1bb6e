// The standalone C reference for bench/run.mjs: the loops of bench/c/loops.c (linked in) in a
// process of their own, single-threaded unlike any JS runtime. Each loop runs in CHUNKS timed
// chunks and reports the median chunk's ns/op, so a burst of interference (another VM on the
// host, a kernel thread) moves one chunk, not the result.
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

// bench/c/loops.c
int c_lookup(int fd, void *key, void *value, int n);
int c_update(int fd, void *key, void *value, int n);
int c_batch(int fd, void *keys, void *values, int n);
int c_single1024(int fd, void *value, int n);

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
static int cmp(const void *x, const void *y) { double a = *(const double *)x, b = *(const double *)y; return (a > b) - (a < b); }
static double median(double *t) { qsort(t, CHUNKS, sizeof *t, cmp); return t[CHUNKS / 2]; }
static void *idle(void *p) { (void)p; for (;;) pause(); return 0; }
static int singles(int fd, void *value, void *unused, int n) { (void)unused; return c_single1024(fd, value, n); }

typedef int (*loop)(int fd, void *a, void *b, int n);

// ns per op of one chunk of `per` ops of `f`; exits when a call fails.
static double chunk(loop f, int fd, void *a, void *b, long per) {
  double t0 = now();
  if (f(fd, a, b, per) < 0) { perror("bpf"); exit(2); }
  return (now() - t0) / per;
}

// The median chunk of CHUNKS chunks of `per` ops of `f`.
static double timed(loop f, int fd, void *a, void *b, long per) {
  double t[CHUNKS];
  for (int c = 0; c < CHUNKS; c++) t[c] = chunk(f, fd, a, b, per);
  return median(t);
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  long rounds = argc > 2 ? atol(argv[2]) : 200;
  long per = n / CHUNKS, rper = rounds / CHUNKS > 0 ? rounds / CHUNKS : 1;
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_HASH; a.key_size = 4; a.value_size = 8; a.max_entries = 1024;
  int fd = syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a);
  if (fd < 0) { perror("map_create"); return 1; }
  uint32_t k; uint64_t v;
  for (k = 0; k < 1024; k++) {
    v = k * 2;
    if (c_update(fd, &k, &v, 1) < 0) { perror("update"); return 1; }
  }
  k = 7;
  double lookup = timed(c_lookup, fd, &k, &v, per);
  double update = timed(c_update, fd, &k, &v, per);
  uint32_t keys[1024];
  uint64_t vals[1024];
  double batch = timed(c_batch, fd, keys, vals, rper);
  double single = timed(singles, fd, &v, 0, rper);

  double t[CHUNKS];
  for (int c = 0; c < CHUNKS; c++) {
    pthread_t th;
    if (pthread_create(&th, 0, idle, 0) != 0) { perror("pthread_create"); return 1; }
    usleep(1000);
    double with = chunk(c_lookup, fd, &k, &v, per / 2);
    pthread_cancel(th);
    pthread_join(th, 0);
    usleep(1000); // join returns when the thread's tid is cleared, a little before it drops the fd table
    t[c] = with / chunk(c_lookup, fd, &k, &v, per / 2);
  }
  double threaded = median(t);
  printf("{\"lookup\": %.1f, \"update\": %.1f, \"batch1024\": %.1f, \"single1024\": %.1f, \"threaded\": %.3f}\n", lookup, update, batch, single, threaded);
  close(fd);
  return 0;
}

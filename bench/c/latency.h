// The wake-up latency harness of bench/c/{ringbuf,perf}.c built as programs (-D*_LATENCY_MAIN):
// a thread blocked in libbpf's poll while the main thread, now and then, runs the producer
// program `prog` once with BPF_PROG_TEST_RUN; from the run to the callback, in µs. Prints one
// JSON object { median, p99 }, as wakeLatency (bench/chunks.mjs) does for the library's async iterator.
#include <bpf/bpf.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

// Set by the poll callback: the record has reached the reader.
static atomic_int seen;

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

// `poller(arg)` blocks in the reader's poll for ever, on its own thread.
static int run_latency(int n, int prog, void *(*poller)(void *), void *arg) {
  pthread_t t;
  pthread_create(&t, 0, poller, arg);
  char pkt[64] = {0};
  double *lat = calloc(n, sizeof *lat);
  for (int i = 0; i < n; i++) {
    atomic_store(&seen, 0);
    usleep(2000 + 1000 * (i % 4)); // as the JS side: a record now and then, the reader idle
    LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof pkt);
    double t0 = now_us();
    if (bpf_prog_test_run_opts(prog, &o) < 0 || o.retval != 0) { perror("test_run"); return 1; }
    while (!atomic_load(&seen)) usleep(0);
    lat[i] = now_us() - t0;
  }
  qsort(lat, n, sizeof *lat, cmp_double);
  printf("{\"median\": %.1f, \"p99\": %.1f}\n", lat[n / 2], lat[(n * 99) / 100]);
  return 0;
}

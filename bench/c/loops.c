// The C baseline loaded into each runtime's own process (bench/map.mjs calls it through FFI once
// per timed chunk): the same loops as bench/c/map.c, in the same process as the library's loops,
// on the same map and buffers. Chunks of C and of the library alternate, so both see the same
// threads, the same fd table and the same moment of a noisy machine, and their ratio is paired.
#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static union bpf_attr a;

static long sys_bpf(int cmd, unsigned size) { return syscall(SYS_bpf, cmd, &a, size); }

// n lookups of `key` into `value`: 0, or the failing call's -1.
int c_lookup(int fd, void *key, void *value, int n) {
  for (int i = 0; i < n; i++) {
    a.map_fd = fd; a.key = (uintptr_t)key; a.value = (uintptr_t)value; a.flags = 0;
    if (sys_bpf(BPF_MAP_LOOKUP_ELEM, 32) < 0) return -1;
  }
  return 0;
}

// n updates of `key` to `value` (BPF_ANY).
int c_update(int fd, void *key, void *value, int n) {
  for (int i = 0; i < n; i++) {
    a.map_fd = fd; a.key = (uintptr_t)key; a.value = (uintptr_t)value; a.flags = BPF_ANY;
    if (sys_bpf(BPF_MAP_UPDATE_ELEM, 32) < 0) return -1;
  }
  return 0;
}

// n batch lookups of up to 1024 entries from the start of the map into keys/values (u32 keys).
int c_batch(int fd, void *keys, void *values, int n) {
  uint32_t out;
  for (int i = 0; i < n; i++) {
    memset(&a, 0, sizeof a.batch);
    a.batch.map_fd = fd; a.batch.keys = (uintptr_t)keys; a.batch.values = (uintptr_t)values;
    a.batch.count = 1024; a.batch.out_batch = (uintptr_t)&out;
    if (sys_bpf(BPF_MAP_LOOKUP_BATCH, sizeof a.batch) < 0 && a.batch.count != 1024) return -1;
  }
  return 0;
}

// n rounds of looking up keys 0..1023 one at a time (u32 keys, 8-byte values into `value`).
int c_single1024(int fd, void *value, int n) {
  uint32_t k;
  for (int i = 0; i < n; i++) {
    for (k = 0; k < 1024; k++) {
      a.map_fd = fd; a.key = (uintptr_t)&k; a.value = (uintptr_t)value; a.flags = 0;
      if (sys_bpf(BPF_MAP_LOOKUP_ELEM, 32) < 0) return -1;
    }
  }
  return 0;
}

// pyimports' BPF side (examples/pyimports.ts loads it with Collection.load): on the
// python:import__find__load__start USDT probe that Debian's python3 carries, sends the process and
// the name of each module it starts loading through a ring buffer. The probe's argument (the
// module's name) is read with libbpf's usdt.bpf.h, from the spec attachUsdt writes for each site.
// Built by examples/bpf/build.sh with clang-19; the .o is committed.
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/usdt.bpf.h>

struct import {
  __u32 pid;
  char module[60];
};

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 16);
} imports SEC(".maps");

__u64 dropped = 0;  // imports the ring had no room for, read live from user space
struct import last; // the newest import, also readable as a variable (and struct import's BTF)

SEC("usdt")
int BPF_USDT(on_import, const char *module) {
  struct import *e = bpf_ringbuf_reserve(&imports, sizeof(*e), 0);
  if (!e) {
    __sync_fetch_and_add(&dropped, 1);
    return 0;
  }
  e->pid = bpf_get_current_pid_tgid() >> 32;
  bpf_probe_read_user_str(e->module, sizeof(e->module), module);
  last = *e;
  bpf_ringbuf_submit(e, 0);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

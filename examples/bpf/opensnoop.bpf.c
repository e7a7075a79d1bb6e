// opensnoop's BPF side (examples/opensnoop.ts loads it with Collection.load): every openat(2)
// of the process whose tgid the loader sets in target_tgid (0: all), sent through a ring buffer,
// and counted in .bss. Built by examples/bpf/build.sh with clang-19; the .o is committed.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
  __u32 pid;
  __s32 dfd;
  char comm[16];
  char filename[128];
};

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 16);
} events SEC(".maps");

// The fields of syscalls:sys_enter_openat that matter, after its 8-byte common header and the
// syscall number (see events/syscalls/sys_enter_openat/format).
struct openat_args {
  __u64 common;
  __s64 nr;
  __u64 dfd;
  const char *filename;
  __u64 flags;
  __u64 mode;
};

const volatile __u32 target_tgid = 0;  // set before load (Collection.load's constants)
__u64 opens = 0;                       // read live from user space, no syscall
struct event last;                     // the newest event, also readable as a variable

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(struct openat_args *ctx) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (target_tgid && tgid != target_tgid) return 0;
  __sync_fetch_and_add(&opens, 1);
  struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) return 0;
  e->pid = tgid;
  e->dfd = (__s32)ctx->dfd;
  bpf_get_current_comm(e->comm, sizeof(e->comm));
  bpf_probe_read_user_str(e->filename, sizeof(e->filename), ctx->filename);
  __builtin_memcpy(&last, e, sizeof(last));
  bpf_ringbuf_submit(e, 0);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

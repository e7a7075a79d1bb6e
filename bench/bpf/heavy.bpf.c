// The verifier-bound object of the Collection.load benchmark (bench/collection-run.mjs): 32 socket
// filters whose bounded loops make the verifier walk thousands of states each, as real tools'
// programs do (a parser, a classifier): the load is then the kernel's work, as in the issue's
// premise, and what the loader adds shows as the ratio's distance from 1.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 256);
  __type(key, __u32);
  __type(value, __u64);
} table SEC(".maps");

__u64 seen[32];

static __always_inline __u64 walk(__u32 seed) {
  __u64 acc = 0;
  for (__u32 i = 0; i < 200; i++) {
    __u32 k = (seed + i * 7) & 255;
    __u64 *v = bpf_map_lookup_elem(&table, &k);
    if (!v) continue;
    if (*v & 1) acc += *v;
    else acc ^= i;
  }
  return acc;
}

#define PROG(n)                                         \
  SEC("socket")                                         \
  int heavy_##n(struct __sk_buff *skb) {                \
    __u64 r = walk(skb->len + n);                       \
    seen[n] = r;                                        \
    return r & 1;                                       \
  }

PROG(0) PROG(1) PROG(2) PROG(3) PROG(4) PROG(5) PROG(6) PROG(7)
PROG(8) PROG(9) PROG(10) PROG(11) PROG(12) PROG(13) PROG(14) PROG(15)
PROG(16) PROG(17) PROG(18) PROG(19) PROG(20) PROG(21) PROG(22) PROG(23)
PROG(24) PROG(25) PROG(26) PROG(27) PROG(28) PROG(29) PROG(30) PROG(31)

char LICENSE[] SEC("license") = "GPL";

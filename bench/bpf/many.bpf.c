// The object of the Collection.load benchmark (bench/collection-run.mjs): 32 socket filters, each
// with its own map and a share of global data, calling two .text subprograms, so that loading it
// is the many-program work of a real tool: maps, BTF, relocations, linking and 32 verifications.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 hits[32];
__u64 total;
const volatile __u32 mask = 0xff;

static __noinline __u32 fold(__u32 x) {
  return (x ^ (x >> 7)) & mask;
}

static __noinline __u32 twice(__u32 x) {
  return fold(x) + fold(x + 1);
}

#define PROG(n)                                                   \
  struct {                                                        \
    __uint(type, BPF_MAP_TYPE_ARRAY);                             \
    __uint(max_entries, 16);                                      \
    __type(key, __u32);                                           \
    __type(value, __u64);                                         \
  } map_##n SEC(".maps");                                         \
  SEC("socket")                                                   \
  int prog_##n(struct __sk_buff *skb) {                           \
    __u32 k = twice(skb->len) & 15;                               \
    __u64 *v = bpf_map_lookup_elem(&map_##n, &k);                 \
    if (v) __sync_fetch_and_add(v, 1);                            \
    hits[n]++;                                                    \
    total++;                                                      \
    return fold(skb->len + n);                                    \
  }

PROG(0) PROG(1) PROG(2) PROG(3) PROG(4) PROG(5) PROG(6) PROG(7)
PROG(8) PROG(9) PROG(10) PROG(11) PROG(12) PROG(13) PROG(14) PROG(15)
PROG(16) PROG(17) PROG(18) PROG(19) PROG(20) PROG(21) PROG(22) PROG(23)
PROG(24) PROG(25) PROG(26) PROG(27) PROG(28) PROG(29) PROG(30) PROG(31)

char LICENSE[] SEC("license") = "GPL";

// The C side of bench/btf-run.mjs: libbpf (Debian's libbpf-dev) parsing the running kernel's BTF
// in a fresh process, as a tool does at start-up: btf__parse of /sys/kernel/btf/vmlinux, one
// btf__find_by_name_kind("task_struct", STRUCT), and its members walked with their names and
// their types' names resolved. Measures that span in-process (CLOCK_MONOTONIC) and the resident
// memory it adds (/proc/self/statm before and after). Prints one JSON object.
//   gcc -O2 -o btf bench/c/btf.c -lbpf && ./btf [path]
#include <bpf/btf.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }

// Resident bytes now: statm's second field, in pages.
static long rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long size = 0, res = 0;
  if (!f || fscanf(f, "%ld %ld", &size, &res) != 2) return -1;
  fclose(f);
  return res * sysconf(_SC_PAGESIZE);
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "/sys/kernel/btf/vmlinux";
  long rss0 = rss_bytes();
  double t0 = now_ms();
  struct btf *btf = btf__parse(path, NULL);
  if (!btf) { perror("btf__parse"); return 1; }
  double t1 = now_ms();
  int id = btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT);
  if (id < 0) { fprintf(stderr, "no struct task_struct\n"); return 1; }
  double t2 = now_ms();
  const struct btf_type *t = btf__type_by_id(btf, id);
  const struct btf_member *m = btf_members(t);
  long names = 0, typeNames = 0;
  for (int i = 0; i < btf_vlen(t); i++, m++) {
    names += strlen(btf__name_by_offset(btf, m->name_off));
    typeNames += strlen(btf__name_by_offset(btf, btf__type_by_id(btf, m->type)->name_off));
  }
  double t3 = now_ms();
  long rss1 = rss_bytes();
  printf("{\"ms\":%.3f,\"parseMs\":%.3f,\"findMs\":%.3f,\"membersMs\":%.3f,\"rssAdded\":%ld,\"types\":%u,\"members\":%d,\"names\":%ld,\"typeNames\":%ld}\n",
         t3 - t0, t1 - t0, t2 - t1, t3 - t2, rss1 - rss0, btf__type_cnt(btf), btf_vlen(t), names, typeNames);
  btf__free(btf);
  return 0;
}

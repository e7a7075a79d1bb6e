/*
 * The USDT tests' oracle: what Debian's libbpf (libbpf-dev) writes into the usdt.bpf.h maps when
 * it attaches a program to a USDT probe. Loads OBJ, attaches its program PROG to PROVIDER:NAME
 * in BINARY for process PID with usdt_cookie COOKIE, prints every __bpf_usdt_specs entry as
 * "spec <id> <hex bytes>" and every __bpf_usdt_ip_to_spec_id entry as "ip <hex address> <id>",
 * then detaches and exits.
 * usage: usdt-oracle OBJ PROG BINARY PROVIDER NAME PID COOKIE
 * Built by the test with: gcc -o usdt-oracle usdt-oracle.c -lbpf
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what) {
  fprintf(stderr, "usdt-oracle: %s failed\n", what);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 8) return fail("usage");
  struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
  if (obj == NULL || bpf_object__load(obj) != 0) return fail("open and load");
  struct bpf_program *prog = bpf_object__find_program_by_name(obj, argv[2]);
  if (prog == NULL) return fail("find program");
  LIBBPF_OPTS(bpf_usdt_opts, opts, .usdt_cookie = strtoull(argv[7], NULL, 0));
  struct bpf_link *link = bpf_program__attach_usdt(prog, atoi(argv[6]), argv[3], argv[4], argv[5], &opts);
  if (link == NULL) return fail("bpf_program__attach_usdt");
  struct bpf_map *specs = bpf_object__find_map_by_name(obj, "__bpf_usdt_specs");
  struct bpf_map *ips = bpf_object__find_map_by_name(obj, "__bpf_usdt_ip_to_spec_id");
  if (specs == NULL || ips == NULL) return fail("find maps");
  unsigned char value[4096], zero[4096] = {0};
  size_t size = bpf_map__value_size(specs);
  if (size > sizeof value) return fail("spec size");
  for (unsigned id = 0; id < bpf_map__max_entries(specs); id++) {
    if (bpf_map_lookup_elem(bpf_map__fd(specs), &id, value) != 0) return fail("spec lookup");
    if (memcmp(value, zero, size) == 0) continue;
    printf("spec %u ", id);
    for (size_t i = 0; i < size; i++) printf("%02x", value[i]);
    printf("\n");
  }
  long key, next;
  unsigned id;
  for (int more = bpf_map_get_next_key(bpf_map__fd(ips), NULL, &next) == 0; more; more = bpf_map_get_next_key(bpf_map__fd(ips), &key, &next) == 0) {
    key = next;
    if (bpf_map_lookup_elem(bpf_map__fd(ips), &key, &id) != 0) return fail("ip lookup");
    printf("ip %lx %u\n", key, id);
  }
  bpf_link__destroy(link);
  bpf_object__close(obj);
  return 0;
}

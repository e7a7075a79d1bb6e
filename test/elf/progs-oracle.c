/*
 * Oracle for test/elf/programs.test.ts: asks the system's libbpf how it links the programs of an
 * object, without a kernel. libbpf's loader generator (bpf_object__gen_loader) runs the whole
 * bpf_object__load() pipeline - externs, relocation, subprogram appending - but records the
 * syscalls instead of making them, so maps are referred to by index and nothing is loaded.
 * Every program is marked autoload first, so '?' programs are linked as well. Prints:
 *   version <major>.<minor>
 *   map <index> <name>                                        (one per map, in libbpf's order)
 *   prog <name> <section> <type> <expected attach type> <autoload as opened> <insn count>
 *   <hex of the linked instructions, 16 characters per instruction, in the host byte order>
 * Built by the test with: gcc -o progs-oracle progs-oracle.c -lbpf
 */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int verbose(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(gen_loader_opts, gen);
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	int err, i = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OBJECT\n", argv[0]);
		return 2;
	}
	libbpf_set_print(getenv("ORACLE_DEBUG") ? verbose : quiet);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "open %s failed\n", argv[1]);
		return 1;
	}
	printf("version %u.%u\n", libbpf_major_version(), libbpf_minor_version());
	bpf_object__for_each_map(map, obj)
		printf("map %d %s\n", i++, bpf_map__name(map));
	int autoload[256], n = 0;
	bpf_object__for_each_program(prog, obj) {
		if (n < 256)
			autoload[n++] = bpf_program__autoload(prog);
		bpf_program__set_autoload(prog, true);
	}
	err = bpf_object__gen_loader(obj, &gen);
	err = err ?: bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "load (gen_loader) failed: %d\n", err);
		return 1;
	}
	n = 0;
	bpf_object__for_each_program(prog, obj) {
		const unsigned char *b = (const void *)bpf_program__insns(prog);
		size_t cnt = bpf_program__insn_cnt(prog);

		printf("prog %s %s %d %d %d %zu\n", bpf_program__name(prog), bpf_program__section_name(prog),
		       bpf_program__type(prog), bpf_program__expected_attach_type(prog), n < 256 ? autoload[n] : -1, cnt);
		n++;
		for (size_t j = 0; j < cnt * 8; j++)
			printf("%02x", b[j]);
		printf("\n");
	}
	bpf_object__close(obj);
	return 0;
}

/*
 * Oracle for test/elf/section-type.test.ts: asks the system's libbpf what it makes of section
 * names. Reads one name a line on stdin; prints first "version <major>.<minor>", then a line
 * per name:
 *   <name> \t <prog rc> <prog type> <expected attach type> \t <attach rc> <attach type>
 * from libbpf_prog_type_by_name() and libbpf_attach_type_by_name(); a type is -1 when its call
 * failed. Built by the test with: gcc -o sec-oracle sec-oracle.c -lbpf
 */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libbpf prints the list of known names at debug level on each miss: keep stdout/stderr clean. */
static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	libbpf_set_print(quiet);
	printf("version %u.%u\n", libbpf_major_version(), libbpf_minor_version());
	while ((len = getline(&line, &cap, stdin)) >= 0) {
		enum bpf_prog_type type = (enum bpf_prog_type)-1;
		enum bpf_attach_type expected = (enum bpf_attach_type)-1, attach = (enum bpf_attach_type)-1;
		int prc, arc;

		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		prc = libbpf_prog_type_by_name(line, &type, &expected);
		arc = libbpf_attach_type_by_name(line, &attach);
		printf("%s\t%d %d %d\t%d %d\n", line, prc, prc == 0 ? (int)type : -1, prc == 0 ? (int)expected : -1,
		       arc, arc == 0 ? (int)attach : -1);
	}
	free(line);
	return 0;
}

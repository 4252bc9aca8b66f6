/* One-shot plain libbpf load: bpf_object__open_file + bpf_object__load +
 * close (user-space CO-RE against the running kernel's BTF).
 *   bench_libbpf [--warm N] OBJ.o
 *   bench_libbpf --insns OBJ.o     prints "PROGRAMS INSNS" (no load) */
#include "helper_common.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

static const char *path;

static int load_once(void)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "bench_libbpf: open %s: %s\n", path, strerror(errno));
		return -1;
	}
	int err = bpf_object__load(obj);
	bpf_object__close(obj);
	if (err) {
		fprintf(stderr, "bench_libbpf: load %s: %s\n", path, strerror(-err));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	libbpf_set_print(quiet);
	if (argc == 3 && strcmp(argv[1], "--insns") == 0) {
		struct bpf_object *obj = bpf_object__open_file(argv[2], NULL);
		if (!obj)
			return fprintf(stderr, "bench_libbpf: open %s: %s\n", argv[2], strerror(errno)), 1;
		size_t progs = 0, insns = 0;
		struct bpf_program *p;
		bpf_object__for_each_program(p, obj) {
			progs++;
			insns += bpf_program__insn_cnt(p);
		}
		bpf_object__close(obj);
		printf("%zu %zu\n", progs, insns);
		return 0;
	}
	long warm = bench_warm_rounds(&argc, &argv);
	if (argc != 2)
		return fprintf(stderr, "usage: bench_libbpf [--warm N] OBJ.o | --insns OBJ.o\n"), 2;
	path = argv[1];
	BENCH_RUN(warm, load_once());
}

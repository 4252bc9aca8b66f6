/* The minimal libbpfseal program (C API, libbpfseal.so): open, load with the
 * signature checked (mode from BENCH_MODE: userspace (default), kernel or
 * auto), close.
 *   bench_libbpfseal [--warm N] SEALED.o CERT */
#include "helper_common.h"

#include <bpfseal/bpfseal.h>

static const char *path;
static struct bpfseal_load_opts *opts;

static int load_once(void)
{
	struct bpfseal_object *obj = bpfseal_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "bench_libbpfseal: %s\n", bpfseal_strerror_last());
		return -1;
	}
	int err = bpfseal_object__load(obj, opts);
	if (err)
		fprintf(stderr, "bench_libbpfseal: load %s: %s\n", path, bpfseal_strerror_last());
	bpfseal_object__close(obj);
	return err;
}

int main(int argc, char **argv)
{
	long warm = bench_warm_rounds(&argc, &argv);
	if (argc != 3)
		return fprintf(stderr, "usage: bench_libbpfseal [--warm N] SEALED.o CERT\n"), 2;
	path = argv[1];
	const char *certs[] = {argv[2], NULL};
	const char *mode = getenv("BENCH_MODE");
	enum bpfseal_mode m = BPFSEAL_MODE_USERSPACE;
	if (mode && strcmp(mode, "kernel") == 0)
		m = BPFSEAL_MODE_KERNEL;
	else if (mode && strcmp(mode, "auto") == 0)
		m = BPFSEAL_MODE_AUTO;
	BPFSEAL_OPTS(bpfseal_load_opts, lo, .mode = m, .trusted_certs = certs);
	static struct bpfseal_load_opts storage; /* load_once() reads it */
	storage = lo;
	opts = &storage;
	BENCH_RUN(warm, load_once());
}

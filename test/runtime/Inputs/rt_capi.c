/* The libbpfseal C API, compiled as C: open (file and memory), options
 * checking, load in kernel mode (fails here) and user-space mode, attach,
 * count exactly, report, close; no fd may outlive the object.
 * Protocol (test/Inputs/rt_drive.py --exec): prints "pid N", reads the
 * sealed object's path (sealed with target_tgid=N) from stdin.
 * usage: rt_capi CERT CALLS */
#include <bpfseal/bpfseal.h>

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int count_fds(void) {
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			printf("FAIL %s:%d: %s (last error: %s)\n", __FILE__,  \
			       __LINE__, #cond, bpfseal_strerror_last());      \
			return 1;                                              \
		}                                                              \
	} while (0)

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: %s CERT CALLS\n", argv[0]);
		return 2;
	}
	long calls = atol(argv[2]);
	char path[4096];
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	if (!fgets(path, sizeof(path), stdin))
		return 2;
	path[strcspn(path, "\n")] = 0;
	int fds_before = count_fds();

	/* Errors: NULL + errno + a message. */
	struct bpfseal_object *obj = bpfseal_object__open_file("/nonexistent.sealed.o", NULL);
	CHECK(!obj && errno == ENOENT);
	printf("open missing: errno=%d msg=%s\n", errno, bpfseal_strerror_last());

	/* Open from memory; the buffer is copied. */
	FILE *f = fopen(path, "rb");
	CHECK(f);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc(size);
	CHECK(buf && fread(buf, 1, size, f) == (size_t)size);
	fclose(f);
	BPFSEAL_OPTS(bpfseal_open_opts, oo, .object_name = "rt_count (memory)");
	obj = bpfseal_object__open_mem(buf, size, &oo);
	memset(buf, 0, size);
	free(buf);
	CHECK(obj);
	printf("programs=%zu maps=%zu first_prog=%s\n", bpfseal_object__prog_count(obj),
	       bpfseal_object__map_count(obj), bpfseal_object__prog_name(obj, 0));

	/* Options structs are checked like libbpf's. */
	struct bpfseal_load_opts tiny = { .sz = 2 };
	CHECK(bpfseal_object__load(obj, &tiny) == -EINVAL);
	printf("tiny opts: %s\n", bpfseal_strerror_last());
	struct {
		struct bpfseal_load_opts opts;
		long future_field;
	} newer;
	memset(&newer, 0, sizeof(newer));
	newer.opts.sz = sizeof(newer);
	newer.future_field = 1;
	CHECK(bpfseal_object__load(obj, &newer.opts) == -EINVAL);
	printf("newer opts: %s\n", bpfseal_strerror_last());

	const char *certs[] = { argv[1], NULL };
	/* Kernel mode cannot work on a kernel that does not verify signatures. */
	BPFSEAL_OPTS(bpfseal_load_opts, kern, .mode = BPFSEAL_MODE_KERNEL);
	int err = bpfseal_object__load(obj, &kern);
	printf("kernel mode: err=%d msg=%s\n", err, bpfseal_strerror_last());
	CHECK(err < 0);
	CHECK(bpfseal_object__map_fd(obj, "counts") == -ENOENT);

	BPFSEAL_OPTS(bpfseal_load_opts, lo, .mode = BPFSEAL_MODE_USERSPACE,
		     .trusted_certs = certs);
	err = bpfseal_object__load(obj, &lo);
	CHECK(err == 0);
	struct bpfseal_report rep = { .sz = sizeof(rep) };
	CHECK(bpfseal_object__report(obj, &rep) == 0);
	printf("level=%d %s\n", (int)rep.level, rep.level_name);
	printf("description=%s\n", rep.description);
	printf("loader=%s\n", rep.loader);
	CHECK(bpfseal_object__load(obj, &lo) == -EALREADY);

	const char *targets[] = { "no_such_prog=eth0", NULL };
	BPFSEAL_OPTS(bpfseal_attach_opts, bad_ao, .targets = targets);
	CHECK(bpfseal_object__attach_all(obj, &bad_ao) == -ENOENT);
	printf("bad target: %s\n", bpfseal_strerror_last());
	int attached = bpfseal_object__attach_all(obj, NULL);
	printf("attached=%d: %s\n", attached, bpfseal_object__attach_info(obj, "count_getppid"));
	CHECK(attached == 1);

	for (long i = 0; i < calls; i++)
		syscall(SYS_getppid);

	int counts = bpfseal_object__map_fd(obj, "counts");
	int bss = bpfseal_object__map_fd(obj, ".bss");
	int prog = bpfseal_object__prog_fd(obj, "count_getppid");
	CHECK(counts > 0 && bss > 0 && prog > 0);
	unsigned int key = 0;
	unsigned long long count = 0;
	unsigned char bss_value[16] = { 0 };
	CHECK(bpf_map_lookup_elem(counts, &key, &count) == 0);
	CHECK(bpf_map_lookup_elem(bss, &key, bss_value) == 0);
	unsigned long long total;
	memcpy(&total, bss_value, sizeof(total));
	printf("counted=%llu total=%llu expected=%ld\n", count, total, calls);
	CHECK(count == (unsigned long long)calls && total == count);

	char pin[128], probe[256];
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/bpfseal-capi-%d", (int)getpid());
	CHECK(bpfseal_object__pin(obj, pin) == 0);
	snprintf(probe, sizeof(probe), "%s/maps/rt_count_bss", pin);
	int pinned = bpf_obj_get(probe);
	CHECK(pinned >= 0);
	close(pinned);
	CHECK(bpfseal_object__pin(obj, pin) == -EEXIST); /* nothing half-pinned stays */
	printf("pin again: %s\n", bpfseal_strerror_last());
	snprintf(probe, sizeof(probe), "rm -r %s", pin);
	CHECK(system(probe) == 0);

	bpfseal_object__detach_all(obj);
	for (long i = 0; i < 10; i++)
		syscall(SYS_getppid);
	CHECK(bpf_map_lookup_elem(counts, &key, &count) == 0);
	printf("after detach=%llu\n", count);
	CHECK(count == (unsigned long long)calls);

	bpfseal_object__close(obj);

	/* The libbpf path (CO-RE in user space), asked for explicitly, with the
	 * kernel's BTF given as a file: the same exact count. It needs a format
	 * v2 object; a v1 one is refused, naming the format, creating nothing. */
	obj = bpfseal_object__open_file(path, NULL);
	CHECK(obj);
	BPFSEAL_OPTS(bpfseal_load_opts, lb, .mode = BPFSEAL_MODE_USERSPACE,
		     .trusted_certs = certs, .path = BPFSEAL_PATH_LIBBPF,
		     .btf_path = "/sys/kernel/btf/vmlinux");
	struct bpfseal_load_opts bad_path = lb;
	bad_path.path = (enum bpfseal_load_path)7;
	CHECK(bpfseal_object__load(obj, &bad_path) == -EINVAL);
	printf("bad path: %s\n", bpfseal_strerror_last());
	err = bpfseal_object__load(obj, &lb);
	CHECK(err == 0);
	struct bpfseal_report lrep = { .sz = sizeof(lrep) };
	CHECK(bpfseal_object__report(obj, &lrep) == 0);
	CHECK(bpfseal_object__attach_all(obj, NULL) == 1);
	for (long i = 0; i < calls; i++)
		syscall(SYS_getppid);
	counts = bpfseal_object__map_fd(obj, "counts");
	CHECK(counts > 0 && bpf_map_lookup_elem(counts, &key, &count) == 0);
	printf("libbpf path: path=%s level=%d %s counted=%llu\n", lrep.path,
	       (int)lrep.level, lrep.level_text, count);
	CHECK(count == (unsigned long long)calls);
	bpfseal_object__close(obj);
	bpfseal_object__close(NULL);
	int fds_after = count_fds();
	printf("fds before=%d after=%d\n", fds_before, fds_after);
	CHECK(fds_before == fds_after);
	printf("OK\n");
	return 0;
}

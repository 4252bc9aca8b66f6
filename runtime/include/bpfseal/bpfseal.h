/* libbpfseal C API: load a sealed (and signed) BPF object, verified, and
 * attach it. A thin layer over the C++ API (bpfseal/bpfseal.hpp) for C
 * programs; same semantics, libbpf's conventions:
 *
 *   struct bpfseal_object *obj = bpfseal_object__open_file("app.sealed.o", NULL);
 *   if (!obj) { fprintf(stderr, "%s\n", bpfseal_strerror_last()); ... }
 *   const char *certs[] = { "signer.crt", NULL };
 *   BPFSEAL_OPTS(bpfseal_load_opts, lo, .mode = BPFSEAL_MODE_USERSPACE,
 *                .trusted_certs = certs);
 *   int err = bpfseal_object__load(obj, &lo);          // 0 or -errno
 *   err = bpfseal_object__attach_all(obj, NULL);        // >= 0: links made
 *   int counts_fd = bpfseal_object__map_fd(obj, "counts");
 *   bpfseal_object__close(obj);                         // detaches, closes all
 *
 * Errors: functions returning int give 0 (or a count/fd) on success and
 * -errno on failure; functions returning a pointer give NULL and set errno.
 * Either way bpfseal_strerror_last() returns the one-line cause and hint of
 * the calling thread's last failure.
 *
 * Options structs follow libbpf: the first member `sz` is the size the caller
 * was compiled with (BPFSEAL_OPTS sets it), so fields can be added later
 * without breaking binaries. A struct larger than this library knows is
 * accepted only if the unknown tail is zero.
 */
#ifndef BPFSEAL_BPFSEAL_H
#define BPFSEAL_BPFSEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What libbpfseal.so exports (bpfseal/api.h says more; same definition). */
#ifndef BPFSEAL_API
#define BPFSEAL_API __attribute__((visibility("default")))
#endif

/* Declares and zero-initializes an options struct with `sz` set, in C and
 * C++ (fields left out are zero; no -Wmissing-field-initializers noise):
 *   BPFSEAL_OPTS(bpfseal_load_opts, opts, .mode = BPFSEAL_MODE_AUTO);  */
#define BPFSEAL_OPTS(TYPE, NAME, ...)                                          \
	_Pragma("GCC diagnostic push")                                         \
	_Pragma("GCC diagnostic ignored \"-Wmissing-field-initializers\"")     \
	struct TYPE NAME = ({                                                  \
		memset(&NAME, 0, sizeof(struct TYPE));                         \
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ };       \
	});                                                                    \
	_Pragma("GCC diagnostic pop")

struct bpfseal_object;

enum bpfseal_mode {
	BPFSEAL_MODE_AUTO = 0,      /* kernel, else (with trust anchors) user space; says so */
	BPFSEAL_MODE_KERNEL = 1,    /* the kernel checks the signature against a keyring */
	BPFSEAL_MODE_USERSPACE = 2, /* libbpfseal checks the CMS against trusted certificates */
};

/* What a successful load achieved, strongest first. */
enum bpfseal_level {
	BPFSEAL_LEVEL_NONE = 0,                          /* not loaded */
	BPFSEAL_LEVEL_KERNEL_VERIFIED = 1,               /* kernel checked the signature */
	BPFSEAL_LEVEL_USERSPACE_VERIFIED_KERNEL_HASH = 2,/* CMS here; loader re-checked map->sha in kernel */
	BPFSEAL_LEVEL_USERSPACE_VERIFIED = 3,            /* CMS here; metadata hash checked here only */
};

/* Which path creates the programs (bpfseal load --path). */
enum bpfseal_load_path {
	BPFSEAL_PATH_AUTO = 0,   /* the signed loader where this kernel can run one, else libbpf */
	BPFSEAL_PATH_LOADER = 1, /* the signed loader program (kernel CO-RE) */
	BPFSEAL_PATH_LIBBPF = 2, /* libbpf loads the verified ELF, CO-RE in user space; user-space
				    verification only (needs a format v2 object) */
};

struct bpfseal_open_opts {
	size_t sz;                       /* sizeof(struct bpfseal_open_opts) */
	const char *object_name;         /* name used in messages; NULL: the path, or
					    "<memory>" for open_mem */
	size_t :0;
};
#define bpfseal_open_opts__last_field object_name

struct bpfseal_load_opts {
	size_t sz;                       /* sizeof(struct bpfseal_load_opts) */
	enum bpfseal_mode mode;
	const char *const *trusted_certs;/* NULL-terminated list of PEM/DER certificates */
	const char *ca_dir;              /* directory of CA certificates, or NULL */
	const char *keyring;             /* kernel mode: "session" (NULL), "user", "builtin",
					    "secondary", "platform", ".bpf" or a serial */
	unsigned int log_level;          /* verifier log level for the object's programs */
	unsigned int log_size;           /* bytes; 0: 1 MiB */
	enum bpfseal_load_path path;     /* BPFSEAL_PATH_AUTO (0) unless asked for */
	const char *btf_path;            /* libbpf path: kernel BTF where /sys/kernel/btf/vmlinux
					    is missing; NULL: that file */
	const char *expect_name;         /* refuse unless the signed object name is this; NULL: any */
	unsigned long long min_version;  /* refuse a signed object version below this */
	size_t :0;
};
#define bpfseal_load_opts__last_field min_version

struct bpfseal_attach_opts {
	size_t sz;                       /* sizeof(struct bpfseal_attach_opts) */
	const char *const *targets;      /* NULL-terminated "PROG=TARGET" strings: an interface
					    ("eth0", "eth0:egress"), a cgroup directory, or
					    "BINARY:FUNCTION" for uprobes */
	const char *default_cgroup;      /* NULL: /sys/fs/cgroup/unified */
	const char *const *skip;         /* NULL-terminated program names to leave unattached */
	size_t :0;
};
#define bpfseal_attach_opts__last_field skip

struct bpfseal_report {
	size_t sz;                       /* set by the caller: sizeof(struct bpfseal_report) */
	enum bpfseal_level level;
	const char *level_name;          /* "kernel-verified", "user-space-verified", ... */
	const char *description;         /* one line, e.g. "user-space verified (cert CN=...), ..." */
	const char *loader;              /* loader that ran: "kernel-check", "lc-6_18_44" */
	const char *fallback;            /* auto mode: why it fell back; "" otherwise */
	double load_ms;
	const char *path;                /* "loader" or "libbpf" */
	const char *level_text;          /* level in words incl. the path, e.g.
					    "user-space-verified (CO-RE in user space)" */
	const char *alternative;         /* alternative group kept (bpfseal seal --alternative);
					    "" for objects without groups */
	const char *alternative_note;    /* why each group before it was not kept; "" if none */
	size_t :0;
};
#define bpfseal_report__last_field alternative_note

/* Parse and cross-check the seal (no kernel access, no signature check yet).
 * opts may be NULL. Bytes equal to those of an earlier open in this process
 * take that open's checked result (the checks depend on the bytes alone). */
BPFSEAL_API struct bpfseal_object *bpfseal_object__open_file(const char *path,
							     const struct bpfseal_open_opts *opts);
/* `buf` is copied. */
BPFSEAL_API struct bpfseal_object *bpfseal_object__open_mem(const void *buf, size_t size,
							    const struct bpfseal_open_opts *opts);

/* Verify per opts->mode (NULL opts: auto, no trust anchors), load and take
 * ownership of every program and map. On failure nothing is left behind. */
BPFSEAL_API int bpfseal_object__load(struct bpfseal_object *obj,
				     const struct bpfseal_load_opts *opts);

/* Attach every program by its section. Returns the number of programs
 * attached; programs that need a target nobody gave are left unattached
 * (see bpfseal_object__attach_info). On error nothing of this call stays. */
BPFSEAL_API int bpfseal_object__attach_all(struct bpfseal_object *obj,
					   const struct bpfseal_attach_opts *opts);
/* Detach everything attached (programs and maps stay loaded). */
BPFSEAL_API void bpfseal_object__detach_all(struct bpfseal_object *obj);

/* Pin programs, maps and links under dir/{progs,maps,links}/NAME (bpffs;
 * /sys/fs/bpf is mounted when missing). */
BPFSEAL_API int bpfseal_object__pin(struct bpfseal_object *obj, const char *dir);

/* Fds stay owned by the object; -ENOENT if there is no such name. Internal
 * maps match their full ("app.rodata") or short (".rodata") name. */
BPFSEAL_API int bpfseal_object__map_fd(const struct bpfseal_object *obj, const char *name);
BPFSEAL_API int bpfseal_object__prog_fd(const struct bpfseal_object *obj, const char *name);

BPFSEAL_API size_t bpfseal_object__prog_count(const struct bpfseal_object *obj);
BPFSEAL_API const char *bpfseal_object__prog_name(const struct bpfseal_object *obj, size_t i);
BPFSEAL_API size_t bpfseal_object__map_count(const struct bpfseal_object *obj);
BPFSEAL_API const char *bpfseal_object__map_name(const struct bpfseal_object *obj, size_t i);
/* How program `name` was attached by the last attach_all, or NULL. */
BPFSEAL_API const char *bpfseal_object__attach_info(const struct bpfseal_object *obj,
						    const char *name);

/* The verification level and its description; strings live as long as obj.
 * -EINVAL if obj was not loaded. */
BPFSEAL_API int bpfseal_object__report(const struct bpfseal_object *obj,
				       struct bpfseal_report *report);

/* Detach, close every fd, free. NULL is fine. */
BPFSEAL_API void bpfseal_object__close(struct bpfseal_object *obj);

/* Name of a level: "kernel-verified", "user-space-verified+kernel-hash", ... */
BPFSEAL_API const char *bpfseal_level_name(enum bpfseal_level level);

/* The calling thread's last error: one line, cause and hint ("" if none). */
BPFSEAL_API const char *bpfseal_strerror_last(void);

/* Enforcement (bpfseal/enforce.hpp, docs/SECURITY.md "Enforcement"): start
 * bpfseal's signed BPF LSM policy `policy_path`, which the kernel must verify
 * against `keyring` ("secondary", "builtin", "platform" or a serial, which is
 * locked and allow-listed). From then on, until reboot, only verified BPF
 * loads. 0, or -errno with bpfseal_strerror_last(); nothing is left behind on
 * failure (no BPF LSM, no signature verification, a writable keyring...). */
BPFSEAL_API int bpfseal_enforce_start(const char *policy_path, const char *keyring);
/* 1 if a bpfseal policy is active in this boot, 0 if not. */
BPFSEAL_API int bpfseal_enforce_active(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BPFSEAL_BPFSEAL_H */

/* Shared by the bench's one-shot helpers (libbpf, libbpfseal, light
 * skeleton): "HELPER ARGS..." loads once and exits 0 (the cold setting: the
 * driver times the whole process); "HELPER --warm N ARGS..." loads N times
 * in this process and prints each load's milliseconds, one per line (the
 * warm setting). Errors go to stderr with a non-zero exit. */
#ifndef BPFSEAL_BENCH_HELPER_COMMON_H
#define BPFSEAL_BENCH_HELPER_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Strips "--warm N" from argv; returns N (0: one cold load). */
static inline long bench_warm_rounds(int *argc, char ***argv)
{
	if (*argc >= 3 && strcmp((*argv)[1], "--warm") == 0) {
		long n = atol((*argv)[2]);
		(*argv)[2] = (*argv)[0];
		*argv += 2;
		*argc -= 2;
		return n > 0 ? n : 1;
	}
	return 0;
}

/* Runs load_once() once, or `warm` times printing each duration. */
#define BENCH_RUN(warm, load_once)                                             \
	do {                                                                   \
		if (!(warm))                                                   \
			return (load_once) ? 1 : 0;                            \
		for (long i_ = 0; i_ < (warm); i_++) {                         \
			double t0_ = bench_now_ms();                           \
			if (load_once)                                         \
				return 1;                                      \
			printf("%.4f\n", bench_now_ms() - t0_);                \
		}                                                              \
		return 0;                                                      \
	} while (0)

#endif

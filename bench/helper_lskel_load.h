/* One load of the light skeleton LSKEL_HEADER names (`bpftool gen skeleton
 * -L`, libbpf 1.1's skel_internal.h): NAME__open_and_load + NAME__destroy.
 * Shared by helper_lskel.c and helper_lskel_signed.c, which are built once
 * per object with LSKEL_HEADER="x.lskel.h" and LSKEL_NAME=x. */
#ifndef BPFSEAL_BENCH_HELPER_LSKEL_LOAD_H
#define BPFSEAL_BENCH_HELPER_LSKEL_LOAD_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include LSKEL_HEADER

#define LSKEL_CAT_(a, b) a##b
#define LSKEL_CAT(a, b) LSKEL_CAT_(a, b)

/* 0, or -1 with the reason on stderr after `who`. */
static int lskel_load_once(const char *who) {
  struct LSKEL_NAME *skel = LSKEL_CAT(LSKEL_NAME, __open_and_load)();
  if (!skel) {
    fprintf(stderr, "%s: open_and_load: %s\n", who, strerror(errno));
    return -1;
  }
  LSKEL_CAT(LSKEL_NAME, __destroy)(skel);
  return 0;
}

#endif

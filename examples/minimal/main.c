/* minimal, in C: the same counter through the C skeleton (minimal.skel.h). */
#include "minimal.skel.h"

#include <bpf/bpf.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int seconds = argc > 1 ? atoi(argv[1]) : 5;
  const char *certs[] = {TRUSTED_CERT, NULL};
  BPFSEAL_OPTS(bpfseal_load_opts, opts, .mode = BPFSEAL_MODE_AUTO, .trusted_certs = certs);
  struct bpfseal_report report = {.sz = sizeof(report)};

  struct minimal_bpf *skel = minimal_bpf__open_and_load(&opts);
  if (!skel)
    return fprintf(stderr, "load: %s\n", bpfseal_strerror_last()), 1;
  bpfseal_object__report(skel->obj, &report);
  printf("loaded: %s [%s]\n", report.description, report.level_name);
  if (report.fallback && *report.fallback)
    printf("%s\n", report.fallback);
  if (minimal_bpf__attach(skel, NULL) < 0) {
    fprintf(stderr, "attach: %s\n", bpfseal_strerror_last());
    minimal_bpf__destroy(skel);
    return 1;
  }

  for (int i = 1; i <= seconds; i++) {
    sleep(1);
    __u32 key = 0;
    __u64 count = 0;
    bpf_map_lookup_elem(skel->maps.exec_count, &key, &count);
    printf("%ds: %llu execve calls\n", i, (unsigned long long)count);
    fflush(stdout);
  }
  minimal_bpf__destroy(skel);
  return 0;
}

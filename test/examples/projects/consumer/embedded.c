/* Opens the embedded object through the C skeleton (no kernel access). */
#include "consumer.skel.h"

#include <stdio.h>

int main(void) {
  struct consumer_bpf *skel = consumer_bpf__open();
  if (!skel)
    return fprintf(stderr, "open: %s\n", bpfseal_strerror_last()), 1;
  printf("programs %zu maps %zu, fds before load: prog %d map %d\n",
         bpfseal_object__prog_count(skel->obj), bpfseal_object__map_count(skel->obj),
         skel->progs.on_getpid, skel->maps.rodata);
  consumer_bpf__destroy(skel);
  return 0;
}

/* The C API from C: opening a file that is not a sealed object must fail
 * with errno set and a one-line message. */
#include <bpfseal/bpfseal.h>

#include <errno.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 2)
    return fprintf(stderr, "usage: %s FILE\n", argv[0]), 2;
  struct bpfseal_object *obj = bpfseal_object__open_file(argv[1], NULL);
  if (obj) {
    printf("opened %s\n", argv[1]);
    bpfseal_object__close(obj);
    return 0;
  }
  int err = errno;
  printf("open failed: errno %d: %s\n", err, bpfseal_strerror_last());
  return err ? 3 : 4;
}

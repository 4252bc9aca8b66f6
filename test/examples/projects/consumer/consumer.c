/* The C API from C: opening a file that is not a sealed object must fail
 * with an errno and a message. */
#include <bpfseal/bpfseal.h>

#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 2)
    return fprintf(stderr, "usage: %s FILE\n", argv[0]), 2;
  struct bpfseal_object *obj = NULL;
  int err = bpfseal_object__open_file(argv[1], &obj);
  if (!err) {
    printf("opened %s\n", argv[1]);
    bpfseal_object__close(obj);
    return 0;
  }
  printf("open failed: %d %s\n", err, bpfseal_last_error());
  return 3;
}

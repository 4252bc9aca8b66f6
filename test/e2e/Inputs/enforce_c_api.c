/* C API of bpfseal enforce: start must refuse where it cannot work (the
 * lit test runs it on a kernel without signature verification), report
 * -errno with a one-line reason, and leave no policy active. */
#include <bpfseal/bpfseal.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  int rc = bpfseal_enforce_start(argv[1], argv[2]);
  printf("start=%d reason=%s\n", rc, bpfseal_strerror_last());
  printf("active=%d\n", bpfseal_enforce_active());
  return 0;
}

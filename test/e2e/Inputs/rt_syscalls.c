/* Helper for the runtime tests: prints its pid, waits for a line on stdin,
 * makes exactly N getppid() system calls (argv[1]), prints "done N" and
 * waits for stdin to close. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000;
  char line[256];
  printf("pid %d\n", (int)getpid());
  fflush(stdout);
  if (!fgets(line, sizeof(line), stdin))
    return 1;
  for (long i = 0; i < n; i++)
    syscall(SYS_getppid);
  printf("done %ld\n", n);
  fflush(stdout);
  while (fgets(line, sizeof(line), stdin))
    ;
  return 0;
}

// User-space target for rw_uprobe: calls rw_uprobed_add() N times.
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int rw_uprobed_add(int a, int b)
{
  __asm__ volatile("" ::: "memory");
  return a + b;
}

int main(int argc, char **argv)
{
  int n = argc > 1 ? atoi(argv[1]) : 1, s = 0;
  for (int i = 0; i < n; i++)
    s = rw_uprobed_add(i, 1);
  printf("target: %d calls, last %d\n", n, s);
  return 0;
}

// A program with real <sys/sdt.h> probes for test/realworld/usdt_attach.test.
// Per loop iteration i = 1..N (N = argv[1]):
//   rw:tick  (i, i * 1000)  arguments in registers            (-4@%ebx -8@%r14)
//   rw:gated (i)            only while its semaphore is raised, i.e. while a
//                           tracer is attached to this process; the program
//                           prints how often it saw the semaphore raised
//   rw:site  two sites: (i, -3 * i) from on_stack(), built at -O0 so both
//            arguments are read from the stack (-4@-4(%rbp) -2@-8(%rbp)), and
//            (-7, i) with a constant (-4@$-7 -4@%ebx)
// (argument locations as gcc 12 -O2 writes them; readelf -n shows them).
#include <stdio.h>
#include <stdlib.h>

#define _SDT_HAS_SEMAPHORES 1
volatile unsigned short rw_tick_semaphore __attribute__((unused)) __attribute__((section(".probes")));
volatile unsigned short rw_gated_semaphore __attribute__((unused)) __attribute__((section(".probes")));
volatile unsigned short rw_site_semaphore __attribute__((unused)) __attribute__((section(".probes")));
#include <sys/sdt.h>

__attribute__((noinline, optimize("O0"))) static void on_stack(int i, short s)
{
  DTRACE_PROBE2(rw, site, i, s);
}

int main(int argc, char **argv)
{
  int n = argc > 1 ? atoi(argv[1]) : 5;
  int gated = 0;
  for (int i = 1; i <= n; ++i) {
    long big = (long)i * 1000;
    DTRACE_PROBE2(rw, tick, i, big);
    if (rw_gated_semaphore) {
      ++gated;
      DTRACE_PROBE1(rw, gated, i);
    }
    on_stack(i, (short)(-3 * i));
    DTRACE_PROBE2(rw, site, -7, i);
  }
  printf("gated %d\n", gated);
  return 0;
}

/* One-shot unsigned light skeleton load (`bpftool gen skeleton -L`, libbpf
 * 1.1's skel_internal.h): NAME__open_and_load + NAME__destroy. The floor of
 * the signed-loader mechanism: the same gen_loader program and kernel-side
 * CO-RE, without signature or seal. Built once per object with
 * LSKEL_HEADER="x.lskel.h" and LSKEL_NAME=x.
 *   bench_lskel_NAME [--warm N] */
#include "helper_common.h"
#include "helper_lskel_load.h"

int main(int argc, char **argv)
{
	long warm = bench_warm_rounds(&argc, &argv);
	if (argc != 1)
		return fprintf(stderr, "usage: bench_lskel [--warm N]\n"), 2;
	BENCH_RUN(warm, lskel_load_once("bench_lskel"));
}

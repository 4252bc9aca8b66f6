// Globals of every kind `bpfseal seal --set` writes (test/seal/set.test).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum seal_mode { MODE_OFF = 0, MODE_SAMPLE = 2, MODE_ALL = 7 };

const volatile __u8 cfg_u8 = 1;
const volatile __s16 cfg_s16 = -2;
const volatile __u32 cfg_u32 = 3;
const volatile __s64 cfg_s64 = -4;
const volatile __u64 cfg_u64 = 5;
const volatile _Bool cfg_bool = 1;
const volatile enum seal_mode cfg_mode = MODE_SAMPLE;
const volatile char cfg_name[8] = "default";
const volatile __u32 cfg_pair[2] = {1, 2};
__u32 data_u32 = 9;          /* .data */
__u32 bss_u32;               /* .bss: not settable */

SEC("raw_tp/sys_enter")
int use_all(void *ctx) {
  __u64 sum = cfg_u8 + cfg_s16 + cfg_u32 + cfg_s64 + cfg_u64 + cfg_bool + cfg_mode +
              cfg_name[0] + cfg_pair[1] + data_u32;
  bss_u32 = sum;
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

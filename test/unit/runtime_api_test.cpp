// libbpfseal API surface that needs no kernel: parsing of modes and
// keyrings, level names, and the C API's argument and options checks.
#include "bpfseal/bpfseal.h"
#include "bpfseal/bpfseal.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

using namespace bpfseal;

TEST(RuntimeApi, ParsesModes) {
  EXPECT_EQ(*parseLoadMode("auto"), LoadMode::Auto);
  EXPECT_EQ(*parseLoadMode("kernel"), LoadMode::Kernel);
  EXPECT_EQ(*parseLoadMode("userspace"), LoadMode::Userspace);
  auto bad = parseLoadMode("usr");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().err, EINVAL);
  EXPECT_NE(bad.error().hint.find("kernel, userspace or auto"), std::string::npos);
  for (LoadMode m : {LoadMode::Auto, LoadMode::Kernel, LoadMode::Userspace})
    EXPECT_EQ(*parseLoadMode(loadModeName(m)), m);
}

TEST(RuntimeApi, ParsesKeyrings) {
  EXPECT_EQ(*parseKeyring("session"), -3);
  EXPECT_EQ(*parseKeyring("user"), -4);
  EXPECT_EQ(*parseKeyring("builtin"), 0);
  EXPECT_EQ(*parseKeyring("secondary"), 1);
  EXPECT_EQ(*parseKeyring("platform"), 2);
  EXPECT_EQ(*parseKeyring(".bpf"), -9);
  EXPECT_EQ(*parseKeyring("123456"), 123456);
  EXPECT_EQ(*parseKeyring("0x10"), 16);
  EXPECT_EQ(*parseKeyring("-3"), -3);
  for (const char *bad : {"", "sessions", "12ab", "0x", "99999999999"}) {
    auto r = parseKeyring(bad);
    EXPECT_FALSE(r) << bad;
  }
  EXPECT_EQ(keyringName(-3), "-3 session");
  EXPECT_EQ(keyringName(777), "777");
}

TEST(RuntimeApi, LevelNamesAgreeBetweenCAndCxx) {
  EXPECT_EQ(verificationLevelName(VerificationLevel::KernelVerified),
            bpfseal_level_name(BPFSEAL_LEVEL_KERNEL_VERIFIED));
  EXPECT_EQ(verificationLevelName(VerificationLevel::UserspaceVerifiedKernelHash),
            bpfseal_level_name(BPFSEAL_LEVEL_USERSPACE_VERIFIED_KERNEL_HASH));
  EXPECT_EQ(verificationLevelName(VerificationLevel::UserspaceVerified),
            bpfseal_level_name(BPFSEAL_LEVEL_USERSPACE_VERIFIED));
  EXPECT_STREQ(bpfseal_level_name(BPFSEAL_LEVEL_NONE), "none");
}

TEST(RuntimeApi, CApiOpenOptsAreCheckedLikeLibbpfs) {
  std::vector<char> junk(4096, 'x');
  struct bpfseal_open_opts tiny = {};
  tiny.sz = 2;
  errno = 0;
  EXPECT_EQ(bpfseal_object__open_mem(junk.data(), junk.size(), &tiny), nullptr);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_NE(std::string(bpfseal_strerror_last()).find("bpfseal_open_opts.sz is 2"),
            std::string::npos)
      << bpfseal_strerror_last();
  // A newer caller's struct: accepted only while the fields we do not know are zero.
  struct {
    struct bpfseal_open_opts known;
    uint64_t newer_field;
  } newer = {};
  newer.known.sz = sizeof(newer);
  newer.newer_field = 1;
  EXPECT_EQ(bpfseal_object__open_file("/nonexistent.sealed.o",
                                      reinterpret_cast<const struct bpfseal_open_opts *>(&newer)),
            nullptr);
  EXPECT_EQ(errno, EINVAL);
  newer.newer_field = 0;
  EXPECT_EQ(bpfseal_object__open_file("/nonexistent.sealed.o",
                                      reinterpret_cast<const struct bpfseal_open_opts *>(&newer)),
            nullptr);
  EXPECT_EQ(errno, ENOENT); // the options passed; the file is what is missing
}

TEST(RuntimeApi, CApiRejectsBadArgumentsWithAMessage) {
  errno = 0;
  EXPECT_EQ(bpfseal_object__open_file(nullptr, nullptr), nullptr);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(bpfseal_object__open_mem(nullptr, 0, nullptr), nullptr);
  EXPECT_EQ(errno, EINVAL);
  std::vector<char> junk(4096, 'x');
  BPFSEAL_OPTS(bpfseal_open_opts, named, .object_name = "junk");
  EXPECT_EQ(bpfseal_object__open_mem(junk.data(), junk.size(), &named), nullptr);
  EXPECT_NE(errno, 0);
  EXPECT_NE(std::string(bpfseal_strerror_last()).find("junk: "), std::string::npos)
      << bpfseal_strerror_last();
  EXPECT_EQ(bpfseal_object__load(nullptr, nullptr), -EINVAL);
  EXPECT_EQ(bpfseal_object__attach_all(nullptr, nullptr), -EINVAL);
  EXPECT_EQ(bpfseal_object__pin(nullptr, "/sys/fs/bpf/x"), -EINVAL);
  EXPECT_EQ(bpfseal_object__map_fd(nullptr, "m"), -EINVAL);
  EXPECT_EQ(bpfseal_object__prog_fd(nullptr, "p"), -EINVAL);
  EXPECT_EQ(bpfseal_object__prog_count(nullptr), 0u);
  EXPECT_EQ(bpfseal_object__prog_name(nullptr, 0), nullptr);
  EXPECT_EQ(bpfseal_object__attach_info(nullptr, "p"), nullptr);
  bpfseal_report report{};
  report.sz = sizeof(report);
  EXPECT_EQ(bpfseal_object__report(nullptr, &report), -EINVAL);
  bpfseal_object__close(nullptr);
  bpfseal_object__detach_all(nullptr);
}

TEST(RuntimeApi, OptsMacroSetsSizeAndZeroes) {
  BPFSEAL_OPTS(bpfseal_load_opts, lo, .mode = BPFSEAL_MODE_KERNEL);
  EXPECT_EQ(lo.sz, sizeof(bpfseal_load_opts));
  EXPECT_EQ(lo.mode, BPFSEAL_MODE_KERNEL);
  EXPECT_EQ(lo.trusted_certs, nullptr);
  EXPECT_EQ(lo.keyring, nullptr);
  EXPECT_EQ(lo.log_size, 0u);
}

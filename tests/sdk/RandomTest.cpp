// vtp/random.hpp: the SDK's one source of random ids and secrets for plugins.
#include <vtp/random.hpp>

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {

TEST(SdkRandom, UuidsAreVersionFourInCanonicalLowerCaseForm)
{
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        const std::string id = vtp::randomUuid();
        ASSERT_EQ(id.size(), 36u) << id;
        for (size_t k = 0; k < id.size(); ++k) {
            if (k == 8 || k == 13 || k == 18 || k == 23)
                ASSERT_EQ(id[k], '-') << id;
            else
                ASSERT_TRUE((id[k] >= '0' && id[k] <= '9') || (id[k] >= 'a' && id[k] <= 'f')) << id;
        }
        EXPECT_EQ(id[14], '4') << id;                                         // version 4
        EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id; // variant 10xx
        seen.insert(id);
    }
    EXPECT_EQ(seen.size(), 1000u);
}

TEST(SdkRandom, HexSecretsAndUrlSafeIdsHaveTheAskedLengthAndAlphabet)
{
    const std::string hex = vtp::randomHex(24);
    ASSERT_EQ(hex.size(), 48u);
    EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos) << hex;
    EXPECT_NE(vtp::randomHex(24), hex);
    EXPECT_TRUE(vtp::randomHex(0).empty());

    std::set<char> chars;
    for (int i = 0; i < 200; ++i) {
        const std::string id = vtp::randomUrlSafeId(20);
        ASSERT_EQ(id.size(), 20u);
        EXPECT_EQ(id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), std::string::npos) << id;
        chars.insert(id.begin(), id.end());
    }
    EXPECT_GT(chars.size(), 60u) << "4,000 draws should reach nearly all 64 characters";

    // Larger than one getrandom call may deliver at once (256 bytes): filled to the end.
    const auto big = vtp::randomBytes(1 << 16);
    ASSERT_EQ(big.size(), 1u << 16);
    size_t zeros = 0;
    for (unsigned char c : big) zeros += c == 0;
    EXPECT_LT(zeros, 600u) << "about 256 zero bytes expected in 64 KiB of random bytes";
}

} // namespace

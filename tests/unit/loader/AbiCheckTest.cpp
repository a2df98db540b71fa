#include "loader/AbiCheck.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

using namespace vtp::kernel;

namespace {

int init(const vtp_host_api*, vtp_host*, void**, vtp_errbuf)
{
    return VTP_OK;
}
void destroy(void*) {}

vtp_plugin_descriptor good()
{
    vtp_plugin_descriptor d{};
    d.struct_size = sizeof d;
    d.abi_major = VTP_ABI_MAJOR;
    d.abi_minor = VTP_ABI_MINOR;
    d.build_signature = VTP_BUILD_SIGNATURE;
    d.name = "demo";
    d.version = "1.0.0";
    d.init = init;
    d.destroy = destroy;
    return d;
}

} // namespace

TEST(AbiCheck, AcceptsMatchingDescriptor)
{
    auto d = good();
    EXPECT_EQ(checkDescriptor(&d, "demo").kind, RefusalKind::None);
}

TEST(AbiCheck, RefusesOtherMajorNamingBothVersions)
{
    auto d = good();
    d.abi_major = 2;
    auto v = checkDescriptor(&d, "demo", 1, 4);
    EXPECT_EQ(v.kind, RefusalKind::AbiMismatch);
    EXPECT_NE(v.reason.find("plugin ABI 2."), std::string::npos) << v.reason;
    EXPECT_NE(v.reason.find("kernel ABI 1.4"), std::string::npos) << v.reason;
}

TEST(AbiCheck, RefusesPluginWithNewerMinor)
{
    auto d = good();
    d.abi_minor = 5;
    auto v = checkDescriptor(&d, "demo", 1, 4);
    EXPECT_EQ(v.kind, RefusalKind::AbiMismatch);
    EXPECT_NE(v.reason.find("newer"), std::string::npos);
}

TEST(AbiCheck, AcceptsPluginWithOlderMinor)
{
    auto d = good();
    d.abi_minor = 2;
    EXPECT_EQ(checkDescriptor(&d, "demo", 1, 4).kind, RefusalKind::None);
}

TEST(AbiCheck, AcceptsSmallerOlderDescriptorAndZeroFillsTheRest)
{
    // A descriptor that ends at `destroy` (what a 1.0 plugin has) is read without overrun.
    auto d = good();
    d.struct_size = offsetof(vtp_plugin_descriptor, destroy) + sizeof(d.destroy);
    auto v = checkDescriptor(&d, "demo");
    EXPECT_EQ(v.kind, RefusalKind::None);
    EXPECT_EQ(v.descriptor.struct_size, d.struct_size);
}

TEST(AbiCheck, RefusesMissingRequiredCallbacks)
{
    auto d = good();
    d.init = nullptr;
    EXPECT_EQ(checkDescriptor(&d, "demo").kind, RefusalKind::MissingCallback);
    d = good();
    d.destroy = nullptr;
    EXPECT_EQ(checkDescriptor(&d, "demo").kind, RefusalKind::MissingCallback);
}

TEST(AbiCheck, RefusesNullTruncatedOrForeignDescriptors)
{
    EXPECT_EQ(checkDescriptor(nullptr, "demo").kind, RefusalKind::BadDescriptor);
    auto d = good();
    d.struct_size = 4;
    EXPECT_EQ(checkDescriptor(&d, "demo").kind, RefusalKind::BadDescriptor);
    d = good();
    d.build_signature ^= 0xFF;
    EXPECT_EQ(checkDescriptor(&d, "demo").kind, RefusalKind::AbiMismatch);
}

TEST(AbiCheck, RefusesNameThatDoesNotMatchFile)
{
    auto d = good();
    EXPECT_EQ(checkDescriptor(&d, "other").kind, RefusalKind::BadDescriptor);
    d.name = "Bad-Name";
    EXPECT_EQ(checkDescriptor(&d, "Bad-Name").kind, RefusalKind::BadDescriptor);
}

TEST(AbiCheck, RefusesReservedKernelName)
{
    auto d = good();
    d.name = "kernel";
    auto v = checkDescriptor(&d, "kernel");
    EXPECT_EQ(v.kind, RefusalKind::BadDescriptor);
    EXPECT_NE(v.reason.find("reserved"), std::string::npos);
}

TEST(AbiCheck, RefusesUnorderedMigrations)
{
    vtp_migration ms[2] = {{sizeof(vtp_migration), 2, "002_b", "", nullptr, nullptr},
                           {sizeof(vtp_migration), 1, "001_a", "", nullptr, nullptr}};
    auto d = good();
    d.migrations = ms;
    d.migration_count = 2;
    EXPECT_EQ(checkDescriptor(&d, "demo").kind, RefusalKind::BadDescriptor);
}

namespace {

// An array of `count` elements of T written at `size` bytes each (the stride a plugin built with
// that struct size has), from full structs; bytes past sizeof(T) are filled with 0xAB.
template <typename T>
struct Packed {
    alignas(8) unsigned char bytes[4 * 128];
    Packed(std::initializer_list<T> items, size_t size)
    {
        std::memset(bytes, 0xAB, sizeof bytes);
        size_t i = 0;
        for (T item : items) {
            item.struct_size = static_cast<uint32_t>(size);
            std::memcpy(bytes + i++ * size, &item, std::min(size, sizeof item));
        }
    }
    const T* data() const { return reinterpret_cast<const T*>(bytes); }
};

vtp_config_key key(const char* name, const char* def, const char* choices = nullptr)
{
    vtp_config_key k{};
    k.key = name;
    k.type = VTP_CONFIG_STRING;
    k.default_value = def;
    k.description = "a key";
    k.choices = choices;
    return k;
}

} // namespace

TEST(AbiCheck, StepsConfigKeysByTheirOwnSize)
{
    // Keys written before `choices` existed: 64 bytes each, not the kernel's 72.
    const size_t shortSize = offsetof(vtp_config_key, choices);
    Packed<vtp_config_key> keys({key("first", "\"a\"", "a,b"), key("second", "\"b\"", "a,b"), key("third", "\"c\"", "a,b")}, shortSize);
    auto d = good();
    d.config_keys = keys.data();
    d.config_key_count = 3;
    auto v = checkDescriptor(&d, "demo");
    ASSERT_EQ(v.kind, RefusalKind::None) << v.reason;
    ASSERT_EQ(v.configKeys.size(), 3u);
    EXPECT_STREQ(v.configKeys[1].key, "second");
    EXPECT_STREQ(v.configKeys[2].default_value, "\"c\"");
    EXPECT_EQ(v.configKeys[2].choices, nullptr); // past the plugin's struct: zero, not the next key's bytes
    EXPECT_EQ(v.configKeys[2].struct_size, shortSize);
    EXPECT_EQ(v.descriptor.config_keys, nullptr) << "nothing may read the plugin's array at the kernel's stride";
}

TEST(AbiCheck, StepsMigrationsByTheirOwnSize)
{
    const size_t shortSize = offsetof(vtp_migration, sql_sqlite);
    Packed<vtp_migration> ms(
        {{0, 1, "001_a", "CREATE TABLE a (x INTEGER)", "s", "p"}, {0, 2, "002_b", "CREATE TABLE b (x INTEGER)", "s", "p"}}, shortSize);
    auto d = good();
    d.migrations = ms.data();
    d.migration_count = 2;
    auto v = checkDescriptor(&d, "demo");
    ASSERT_EQ(v.kind, RefusalKind::None) << v.reason;
    ASSERT_EQ(v.migrations.size(), 2u);
    EXPECT_EQ(v.migrations[1].version, 2);
    EXPECT_STREQ(v.migrations[1].name, "002_b");
    EXPECT_STREQ(v.migrations[1].sql, "CREATE TABLE b (x INTEGER)");
    EXPECT_EQ(v.migrations[1].sql_sqlite, nullptr);
    EXPECT_EQ(v.migrations[1].sql_postgresql, nullptr);
}

TEST(AbiCheck, RefusesConfigKeyLargerThanTheKernelsAsNewer)
{
    Packed<vtp_config_key> keys({key("first", nullptr), key("second", nullptr)}, sizeof(vtp_config_key) + 8);
    auto d = good();
    d.config_keys = keys.data();
    d.config_key_count = 2;
    auto v = checkDescriptor(&d, "demo");
    EXPECT_EQ(v.kind, RefusalKind::AbiMismatch);
    EXPECT_NE(v.reason.find("config key 0 is " + std::to_string(sizeof(vtp_config_key) + 8) + " bytes"), std::string::npos) << v.reason;
    EXPECT_NE(v.reason.find("newer SDK"), std::string::npos) << v.reason;
}

TEST(AbiCheck, RefusesDescriptorLargerThanTheKernelsAsNewer)
{
    alignas(8) unsigned char bytes[sizeof(vtp_plugin_descriptor) + 16];
    std::memset(bytes, 0xAB, sizeof bytes);
    auto d = good();
    d.struct_size = sizeof bytes;
    std::memcpy(bytes, &d, sizeof d);
    auto v = checkDescriptor(reinterpret_cast<const vtp_plugin_descriptor*>(bytes), "demo");
    EXPECT_EQ(v.kind, RefusalKind::AbiMismatch);
    EXPECT_NE(v.reason.find("larger than this kernel's"), std::string::npos) << v.reason;
}

TEST(AbiCheck, RefusesArrayElementsOfMixedOrImpossibleSizes)
{
    Packed<vtp_config_key> keys({key("first", nullptr), key("second", nullptr)}, sizeof(vtp_config_key));
    auto d = good();
    d.config_keys = keys.data();
    d.config_key_count = 2;
    vtp_config_key second{};
    std::memcpy(&second, keys.bytes + sizeof(vtp_config_key), sizeof second);
    second.struct_size = offsetof(vtp_config_key, choices);
    std::memcpy(keys.bytes + sizeof(vtp_config_key), &second, sizeof second);
    auto v = checkDescriptor(&d, "demo");
    EXPECT_EQ(v.kind, RefusalKind::BadDescriptor);
    EXPECT_NE(v.reason.find("config key 1"), std::string::npos) << v.reason;

    Packed<vtp_migration> odd({{0, 1, "001_a", "", nullptr, nullptr}}, offsetof(vtp_migration, sql_sqlite) + 4);
    d = good();
    d.migrations = odd.data();
    d.migration_count = 1;
    v = checkDescriptor(&d, "demo");
    EXPECT_EQ(v.kind, RefusalKind::BadDescriptor);
    EXPECT_NE(v.reason.find("migration 0 has struct_size"), std::string::npos) << v.reason;
}

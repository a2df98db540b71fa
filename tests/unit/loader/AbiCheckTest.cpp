#include "loader/AbiCheck.hpp"

#include <gtest/gtest.h>

using namespace vtp::kernel;

namespace {

int init(const vtp_host_api*, vtp_host*, void**, vtp_errbuf) { return VTP_OK; }
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

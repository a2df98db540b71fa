// A plugin's logic tested without a kernel: the example plugin's library, loaded into the fake
// host, greets, counts in the (fake) database, refuses bad names, and says what an old kernel lacks.
#include "FakeHost.hpp"

#include "vtp/json.hpp"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <memory>

using vtp::test::FakeHost;

namespace {

// The library stays open for the test; the fake host is destroyed (and the plugin with it) first.
class HelloOnFakeHost : public ::testing::Test {
protected:
    void SetUp() override
    {
        library_ = dlopen(VTP_TEST_HELLO_SO, RTLD_NOW | RTLD_LOCAL);
        ASSERT_NE(library_, nullptr) << dlerror();
        auto entry = reinterpret_cast<vtp_plugin_entry_fn>(dlsym(library_, VTP_PLUGIN_ENTRY_SYMBOL));
        ASSERT_NE(entry, nullptr);
        descriptor_ = entry();
        ASSERT_NE(descriptor_, nullptr);
    }
    void TearDown() override
    {
        fake_.reset();
        if (library_) dlclose(library_);
    }
    FakeHost& load(uint16_t minor = VTP_ABI_MINOR, const std::string& config = "{}")
    {
        fake_ = std::make_unique<FakeHost>(minor, config);
        fake_->load(descriptor_);
        fake_->start();
        return *fake_;
    }

    void* library_ = nullptr;
    const vtp_plugin_descriptor* descriptor_ = nullptr;
    std::unique_ptr<FakeHost> fake_;
};

} // namespace

TEST_F(HelloOnFakeHost, GreetsAndCountsInItsOwnTable)
{
    FakeHost& fake = load();
    auto first = fake.call("GET", "/api/v1/hello/ada");
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(vtp::Json::parse(first.body)["greeting"].asString(), "Hello, ada!"); // the declared default
    EXPECT_EQ(vtp::Json::parse(first.body)["count"].asInt(), 1);
    EXPECT_EQ(vtp::Json::parse(fake.call("GET", "/api/v1/hello/ada").body)["count"].asInt(), 2);
    const auto rows = fake.sql("SELECT name, count FROM hello_greetings");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0], "ada");
    EXPECT_EQ(rows[0][1], "2");
    auto list = vtp::Json::parse(fake.call("GET", "/api/v1/hello", {.query = {{"limit", "5"}}}).body);
    EXPECT_EQ(list["items"].size(), 1u);
    EXPECT_TRUE(list["next_cursor"].isNull());
}

TEST_F(HelloOnFakeHost, ReadsItsConfigAndRefusesBadInputAsProblems)
{
    FakeHost& fake = load(VTP_ABI_MINOR, R"({"greeting":"Hi","max_name_length":3})");
    EXPECT_EQ(vtp::Json::parse(fake.call("GET", "/api/v1/hello/bob").body)["greeting"].asString(), "Hi, bob!");
    const auto tooLong = fake.call("GET", "/api/v1/hello/alice");
    EXPECT_EQ(tooLong.status, 400);
    EXPECT_EQ(tooLong.problemType, "invalid-name");
    const auto badLimit = fake.call("GET", "/api/v1/hello", {.query = {{"limit", "0"}}});
    EXPECT_EQ(badLimit.status, 400);
    EXPECT_EQ(badLimit.problemType, "invalid-parameter");
    const auto me = fake.call("GET", "/api/v1/hello/me", {.subject = "u42"});
    EXPECT_EQ(vtp::Json::parse(me.body)["greeting"].asString(), "Hi, u42!");
}

TEST_F(HelloOnFakeHost, SocketEndpointEchoesThroughTheHostTable)
{
    FakeHost& fake = load();
    ASSERT_EQ(fake.endpoints().size(), 1u);
    const vtp_ws_endpoint& e = fake.endpoints()[0];
    vtp_ws_open_info info{};
    info.struct_size = sizeof info;
    info.connection = 9;
    e.on_open(e.user_data, &info);
    e.on_message(e.user_data, 9, "ping", 4, 0);
    ASSERT_EQ(fake.sent().size(), 2u);
    EXPECT_EQ(fake.sent()[0].data, "Hello");
    EXPECT_EQ(fake.sent()[1].data, "ping");
}

TEST_F(HelloOnFakeHost, InitOnA10KernelFailsNamingWhatItLacks)
{
    // hello adds a socket endpoint, which a 1.0 kernel did not have: the SDK says so instead of
    // calling past the host table's end.
    auto fake = std::make_unique<FakeHost>(0);
    try {
        fake->load(descriptor_);
        FAIL() << "init must fail on a 1.0 kernel";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("predates WebSocket endpoints (ABI 1.1)"), std::string::npos) << e.what();
    }
    EXPECT_EQ(fake->routes().size(), 4u) << "its routes were registered before the endpoint";
}

// vtpctl against the same config and database as vtpd, without a running server.
#include "IntegrationSupport.hpp"
#include "vtp/abi.h"

#include <gtest/gtest.h>

#include <regex>

using namespace vtp::test;

namespace {

class Vtpctl : public ::testing::Test {
protected:
    int vtpctl(const std::vector<std::string>& words, std::string& output)
    {
        std::vector<std::string> args{VTP_TEST_VTPCTL, "--config", config_.configPath()};
        args.insert(args.end(), words.begin(), words.end());
        return VtpdProcess::run(args, output);
    }

    VtpdProcess config_; // never started: provides a config file and a data directory
};

bool matches(const std::string& text, const std::string& pattern)
{
    return std::regex_search(text, std::regex(pattern));
}

} // namespace

TEST_F(Vtpctl, PluginsListsHelloWithVersionAndAbi)
{
    std::string out;
    EXPECT_EQ(vtpctl({"plugins"}, out), 0) << out;
    EXPECT_TRUE(matches(out, R"(\nhello +1\.0\.0 +)" + std::to_string(VTP_ABI_MAJOR) + "\\." + std::to_string(VTP_ABI_MINOR) + " +ok"))
        << out;
}

TEST_F(Vtpctl, MigrateDryRunShowsPendingThenMigrateApplies)
{
    std::string out;
    ASSERT_EQ(vtpctl({"migrate", "--dry-run"}, out), 0) << out;
    EXPECT_TRUE(matches(out, R"(hello +1 +001_create_greetings +pending)")) << out;

    ASSERT_EQ(vtpctl({"migrate"}, out), 0) << out;
    EXPECT_TRUE(matches(out, R"(applied hello 1 001_create_greetings)")) << out;

    ASSERT_EQ(vtpctl({"migrate", "--dry-run"}, out), 0) << out;
    EXPECT_TRUE(matches(out, R"(hello +1 +001_create_greetings +applied)")) << out;
    ASSERT_EQ(vtpctl({"migrate"}, out), 0) << out;
    EXPECT_TRUE(matches(out, "nothing to apply")) << out;
}

TEST_F(Vtpctl, HelloGreetPrintsGreetingJson)
{
    std::string out;
    ASSERT_EQ(vtpctl({"migrate"}, out), 0) << out;
    ASSERT_EQ(vtpctl({"hello", "greet", "ada"}, out), 0) << out;
    auto first = Poco::JSON::Parser().parse(out).extract<Poco::JSON::Object::Ptr>();
    EXPECT_EQ(jsonString(first, "greeting"), "Hello, ada!");
    EXPECT_EQ(first->getValue<int>("count"), 1);
    ASSERT_EQ(vtpctl({"hello", "greet", "ada"}, out), 0) << out;
    EXPECT_NE(out.find("\"count\":2"), std::string::npos) << out;
}

TEST_F(Vtpctl, PluginCommandWithWrongArgumentsExitsNonZero)
{
    std::string out;
    EXPECT_NE(vtpctl({"hello", "greet"}, out), 0) << out;
    EXPECT_NE(out.find("usage"), std::string::npos) << out;
}

TEST_F(Vtpctl, UnknownSubcommandExitsNonZero)
{
    std::string out;
    EXPECT_NE(vtpctl({"no-such-command"}, out), 0) << out;
    EXPECT_NE(out.find("subcommand"), std::string::npos) << out;
}

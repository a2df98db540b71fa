#include "log/LogLevels.hpp"
#include "log/Logger.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

using namespace vtp::kernel;

namespace {

class LogLevelsTest : public ::testing::Test {
protected:
    LogLevelsTest() : sink_(std::fopen("/dev/null", "w")), log_(sink_) { log_.setLevel(LogLevel::Info); }
    ~LogLevelsTest() override { std::fclose(sink_); }
    std::FILE* sink_;
    Logger log_;
};

TEST_F(LogLevelsTest, ParsesNameEqualsLevel)
{
    auto e = LogLevels::parseEntry("hello=debug");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->first, "hello");
    EXPECT_EQ(e->second, LogLevel::Debug);
    for (const char* bad : {"hello", "=debug", "hello=loud", "Hello=debug", "he-llo=warn", "hello=debug=x"})
        EXPECT_FALSE(LogLevels::parseEntry(bad)) << bad;
}

TEST_F(LogLevelsTest, ConfiguredLevelsApplyToTheLogger)
{
    LogLevels levels(log_, LogLevel::Info, {});
    EXPECT_TRUE(levels.configure({"hello=debug", "http=warn"}).empty());
    EXPECT_TRUE(log_.enabled(LogLevel::Debug, "hello"));
    EXPECT_FALSE(log_.enabled(LogLevel::Info, "http"));
    EXPECT_TRUE(log_.enabled(LogLevel::Info, "db"));
    EXPECT_EQ(levels.overrides(), (std::map<std::string, LogLevel>{{"hello", LogLevel::Debug}, {"http", LogLevel::Warn}}));
}

TEST_F(LogLevelsTest, MalformedEntriesAreReportedAndNothingIsApplied)
{
    LogLevels levels(log_, LogLevel::Info, {});
    EXPECT_EQ(levels.configure({"hello=debug", "http=loud"}), std::vector<std::string>{"http=loud"});
    EXPECT_FALSE(log_.enabled(LogLevel::Debug, "hello"));
    EXPECT_TRUE(levels.overrides().empty());
}

TEST_F(LogLevelsTest, RuntimeChangeWinsUntilResetRestoresTheConfiguredLevel)
{
    LogLevels levels(log_, LogLevel::Info, {});
    levels.configure({"hello=warn"});
    levels.set("hello", LogLevel::Trace);
    EXPECT_TRUE(log_.enabled(LogLevel::Trace, "hello"));
    EXPECT_EQ(levels.overrides().at("hello"), LogLevel::Trace);
    EXPECT_EQ(levels.reset("hello"), LogLevel::Warn);
    EXPECT_FALSE(log_.enabled(LogLevel::Info, "hello"));

    levels.set("db", LogLevel::Error);
    EXPECT_FALSE(log_.enabled(LogLevel::Warn, "db"));
    EXPECT_EQ(levels.reset("db"), LogLevel::Info);
    EXPECT_TRUE(log_.enabled(LogLevel::Info, "db"));
    EXPECT_FALSE(levels.overrides().count("db"));
}

TEST_F(LogLevelsTest, KnowsKernelComponentsAndLoadedPlugins)
{
    LogLevels levels(log_, LogLevel::Info, [] { return std::vector<std::string>{"hello"}; });
    EXPECT_TRUE(levels.known("http"));
    EXPECT_TRUE(levels.known("ws.lws"));
    EXPECT_TRUE(LogLevels::parseEntry("ws.lws=warn"));
    EXPECT_TRUE(levels.known("hello"));
    EXPECT_FALSE(levels.known("nosuch"));
}

} // namespace

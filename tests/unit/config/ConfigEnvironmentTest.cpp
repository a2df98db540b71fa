#include "TestSchemas.hpp"

namespace vtp::kernel::test {
namespace {

Config validatedWith(const Env& env, const std::string& text = kMinimalConfig)
{
    Config config = Config::parse(text, "vtpd.toml", env);
    config.validateKernel(kernelSchema());
    return config;
}

TEST(ConfigEnvironmentTest, OverridesStringOverFile)
{
    const Config config = validatedWith({{"VTP_HTTP__LISTEN", "10.0.0.1"}}, std::string(kMinimalConfig) + "[http]\nlisten = \"0.0.0.0\"\n");
    EXPECT_EQ(config.getString("http.listen"), "10.0.0.1");
}

TEST(ConfigEnvironmentTest, OverridesIntegerFloatAndBoolean)
{
    const Config config = validatedWith({{"VTP_HTTP__PORT", " 9090 "}, {"VTP_HTTP__TIMEOUT", "2.5"}, {"VTP_LOG__JSON", "no"}});
    EXPECT_EQ(config.getInt("http.port"), 9090);
    EXPECT_DOUBLE_EQ(config.getFloat("http.timeout"), 2.5);
    EXPECT_FALSE(config.getBool("log.json"));
}

TEST(ConfigEnvironmentTest, AcceptsBooleanSpellings)
{
    for (const auto& [text, expected] :
         std::map<std::string, bool>{{"true", true}, {"YES", true}, {"1", true}, {"false", false}, {"No", false}, {"0", false}}) {
        const Config config = validatedWith({{"VTP_LOG__JSON", text}});
        EXPECT_EQ(config.getBool("log.json"), expected) << text;
    }
}

TEST(ConfigEnvironmentTest, SplitsCommaSeparatedArray)
{
    const Config config = validatedWith({{"VTP_HTTP__ORIGINS", "https://a.example, https://b.example,"}});
    EXPECT_EQ(config.getStringArray("http.origins"), (std::vector<std::string>{"https://a.example", "https://b.example"}));
}

TEST(ConfigEnvironmentTest, ParsesTomlArrayLiteral)
{
    const Config config = validatedWith({{"VTP_HTTP__ORIGINS", R"(["a,b", "c"])"}});
    EXPECT_EQ(config.getStringArray("http.origins"), (std::vector<std::string>{"a,b", "c"}));
}

TEST(ConfigEnvironmentTest, RefusesUnparsableValue)
{
    const auto issues = issuesOf([] { validatedWith({{"VTP_HTTP__PORT", "eighty"}}); });
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].file, "environment");
    EXPECT_EQ(issues[0].key, "http.port");
    EXPECT_EQ(issues[0].line, 0);
    EXPECT_EQ(issues[0].expected, "integer");
    EXPECT_EQ(issues[0].found, "VTP_HTTP__PORT=\"eighty\"");
}

TEST(ConfigEnvironmentTest, AppliesLimitsToOverrides)
{
    const auto issues = issuesOf([] { validatedWith({{"VTP_HTTP__PORT", "0"}, {"VTP_LOG__LEVEL", "loud"}}); });
    ASSERT_EQ(issues.size(), 2u);
    ASSERT_NE(findIssue(issues, "http.port"), nullptr);
    EXPECT_EQ(findIssue(issues, "http.port")->expected, "integer between 1 and 65535");
    ASSERT_NE(findIssue(issues, "log.level"), nullptr);
    EXPECT_EQ(findIssue(issues, "log.level")->expected, "one of: trace, debug, info, warn, error");
}

TEST(ConfigEnvironmentTest, RefusesBadArrayLiteral)
{
    const auto issues = issuesOf([] { validatedWith({{"VTP_HTTP__ORIGINS", "[1, 2]"}}); });
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].expected, "array of strings");
}

TEST(ConfigEnvironmentTest, RefusesOverrideOfUnknownKey)
{
    const auto issues = issuesOf([] { validatedWith({{"VTP_HTTP__LISTN", "::"}}); });
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].file, "environment");
    EXPECT_EQ(issues[0].key, "http.listn");
    EXPECT_EQ(issues[0].expected, "a known key");
    EXPECT_EQ(issues[0].found, "unknown key set by VTP_HTTP__LISTN (did you mean 'http.listen'?)");
}

TEST(ConfigEnvironmentTest, OverrideSatisfiesRequiredKey)
{
    const Config config = validatedWith({{"VTP_DB__URL", "postgresql://x@y/z"}}, "");
    EXPECT_EQ(config.getString("db.url"), "postgresql://x@y/z");
}

TEST(ConfigEnvironmentTest, IgnoresVariablesThatAreNotOverrides)
{
    const Config config = validatedWith({{"VTP_HOME", "/x"}, {"HTTP__PORT", "1"}, {"PATH", "/bin"}});
    EXPECT_EQ(config.getInt("http.port"), 8080);
}

TEST(ConfigEnvironmentTest, RefusesOverrideNameWithEmptyPart)
{
    const auto issues = issuesOf([] { Config::parse("", "vtpd.toml", {{"VTP_HTTP____PORT", "1"}}); });
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].file, "environment");
    EXPECT_EQ(issues[0].key, "VTP_HTTP____PORT");
}

TEST(ConfigEnvironmentTest, LeavesPluginOverridesToPluginValidation)
{
    Config config =
        Config::parse(kMinimalConfig, "vtpd.toml", {{"VTP_PLUGINS__HELLO__GREETING", "hi"}, {"VTP_PLUGINS__HELLO__SMTP__PORT", "587"}});
    config.validateKernel(kernelSchema());
    config.validatePlugin("hello", helloSchema());
    EXPECT_EQ(config.getString("plugins.hello.greeting"), "hi");
    EXPECT_EQ(config.getInt("plugins.hello.smtp.port"), 587);
}

TEST(ConfigEnvironmentTest, RefusesUnknownPluginOverride)
{
    Config config = Config::parse(kMinimalConfig, "vtpd.toml", {{"VTP_PLUGINS__HELLO__GRETING", "hi"}});
    config.validateKernel(kernelSchema());
    const auto issues = issuesOf([&] { config.validatePlugin("hello", helloSchema()); });
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].key, "plugins.hello.greting");
    EXPECT_EQ(issues[0].found, "unknown key set by VTP_PLUGINS__HELLO__GRETING (did you mean 'plugins.hello.greeting'?)");
}

TEST(ConfigEnvironmentTest, RefusesUnknownKernelOverrideUnderPlugins)
{
    const auto issues = issuesOf([] { validatedWith({{"VTP_PLUGINS__DIRS", "/x"}}); });
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].key, "plugins.dirs");
}

TEST(ConfigEnvironmentTest, HidesSecretOverrideValue)
{
    Config config =
        Config::parse("", "vtpd.toml", {{"VTP_PLUGINS__HELLO__SMTP__PASSWORD", "\xff"}, {"VTP_PLUGINS__HELLO__REPEAT", "hunter2"}});
    const auto issues = issuesOf([&] { config.validatePlugin("hello", helloSchema()); });
    ASSERT_EQ(issues.size(), 2u);
    ASSERT_NE(findIssue(issues, "plugins.hello.smtp.password"), nullptr);
    EXPECT_EQ(findIssue(issues, "plugins.hello.smtp.password")->expected, "UTF-8 text");
    ASSERT_NE(findIssue(issues, "plugins.hello.repeat"), nullptr);
}

} // namespace
} // namespace vtp::kernel::test

#include "TestSchemas.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace vtp::kernel::test {
namespace {

Config validated(const std::string& text, const Env& env = {})
{
    Config config = Config::parse(text, "vtpd.toml", env);
    config.validateKernel(kernelSchema());
    return config;
}

std::vector<ConfigIssue> kernelIssues(const std::string& text)
{
    return issuesOf([&] { validated(text); });
}

TEST(ConfigTest, AcceptsValidFileAndReadsValues)
{
    const Config config = validated(std::string(kMinimalConfig) + "[http]\nlisten = \"0.0.0.0\"\nport = 9000\norigins = [\"a\", \"b\"]\n"
                                                                  "[log]\nlevel = \"debug\"\njson = false\n");
    EXPECT_EQ(config.getString("http.listen"), "0.0.0.0");
    EXPECT_EQ(config.getInt("http.port"), 9000);
    EXPECT_EQ(config.getStringArray("http.origins"), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(config.getString("log.level"), "debug");
    EXPECT_FALSE(config.getBool("log.json"));
    EXPECT_EQ(config.sourceName(), "vtpd.toml");
}

TEST(ConfigTest, FillsDefaultsForUnsetKeys)
{
    const Config config = validated(kMinimalConfig);
    EXPECT_EQ(config.getString("http.listen"), "127.0.0.1");
    EXPECT_EQ(config.getInt("http.port"), 8080);
    EXPECT_DOUBLE_EQ(config.getFloat("http.timeout"), 30.0);
    EXPECT_TRUE(config.getBool("log.json"));
    EXPECT_EQ(config.getString("plugins.dir"), "/usr/lib/vtp/plugins");
    EXPECT_TRUE(config.getStringArray("plugins.enabled").empty());
}

TEST(ConfigTest, RefusesUnknownKeyWithLineNumber)
{
    const auto issues = kernelIssues(std::string(kMinimalConfig) + "[http]\nport = 80\nfrobnicate = 1\n");
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].key, "http.frobnicate");
    EXPECT_EQ(issues[0].line, 5);
    EXPECT_EQ(issues[0].column, 1);
    EXPECT_EQ(issues[0].file, "vtpd.toml");
    EXPECT_EQ(issues[0].expected, "a known key");
    EXPECT_EQ(issues[0].found, "unknown key");
}

TEST(ConfigTest, SuggestsNearestKnownKey)
{
    const auto issues = kernelIssues(std::string(kMinimalConfig) + "[http]\nlisen = \"::\"\n");
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].key, "http.lisen");
    EXPECT_EQ(issues[0].found, "unknown key (did you mean 'listen'?)");
}

TEST(ConfigTest, SuggestsNearestTableName)
{
    const auto issues = kernelIssues(std::string(kMinimalConfig) + "[htp]\nlisten = \"::\"\n");
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].key, "htp");
    EXPECT_EQ(issues[0].found, "unknown key (did you mean 'http'?)");
}

TEST(ConfigTest, RefusesWrongType)
{
    const auto issues = kernelIssues(std::string(kMinimalConfig) + "[http]\nport = \"abc\"\n");
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].key, "http.port");
    EXPECT_EQ(issues[0].line, 4);
    EXPECT_EQ(issues[0].column, 8); // the value's position
    EXPECT_EQ(issues[0].expected, "integer");
    EXPECT_EQ(issues[0].found, "string \"abc\"");
    EXPECT_EQ(issues[0].format(), "vtpd.toml:4:8: key 'http.port': expected integer, found string \"abc\"");
}

TEST(ConfigTest, RefusesArrayWithNonStringItem)
{
    const auto issues = kernelIssues(std::string(kMinimalConfig) + "[http]\norigins = [\"a\", 5]\n");
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].expected, "array of strings");
    EXPECT_EQ(issues[0].found, "array containing integer 5");
}

TEST(ConfigTest, AcceptsIntegerWhereFloatExpected)
{
    const Config config = validated(std::string(kMinimalConfig) + "[http]\ntimeout = 5\n");
    EXPECT_DOUBLE_EQ(config.getFloat("http.timeout"), 5.0);
}

TEST(ConfigTest, RefusesIntegerOutOfRange)
{
    const auto issues = kernelIssues(std::string(kMinimalConfig) + "[http]\nport = 70000\n");
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].expected, "integer between 1 and 65535");
    EXPECT_EQ(issues[0].found, "integer 70000");
}

TEST(ConfigTest, RefusesStringOfWrongLength)
{
    const auto issues = kernelIssues("[db]\nurl = \"\"\n");
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].key, "db.url");
    EXPECT_EQ(issues[0].expected, "string of length between 1 and 200");
}

TEST(ConfigTest, RefusesValueNotAmongChoices)
{
    const auto issues = kernelIssues(std::string(kMinimalConfig) + "[log]\nlevel = \"loud\"\n");
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].expected, "one of: trace, debug, info, warn, error");
    EXPECT_EQ(issues[0].found, "string \"loud\"");
}

TEST(ConfigTest, RefusesMissingRequiredKeyWithoutPosition)
{
    const auto issues = kernelIssues("[http]\nport = 80\n");
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].key, "db.url");
    EXPECT_EQ(issues[0].line, 0);
    EXPECT_EQ(issues[0].expected, "string");
}

TEST(ConfigTest, RefusesTableWhereValueExpectedAndViceVersa)
{
    const auto issues = kernelIssues("db = 5\n[http.port]\nx = 1\n");
    ASSERT_NE(findIssue(issues, "db"), nullptr);
    EXPECT_EQ(findIssue(issues, "db")->expected, "table");
    EXPECT_EQ(findIssue(issues, "db")->found, "integer 5");
    ASSERT_NE(findIssue(issues, "http.port"), nullptr);
    EXPECT_EQ(findIssue(issues, "http.port")->found, "table");
}

TEST(ConfigTest, ReportsEveryIssueInFileOrder)
{
    try {
        validated("[http]\nport = 0\nlisten = 1\n[log]\nlevel = \"x\"\n");
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& e) {
        ASSERT_EQ(e.issues().size(), 4u); // three bad values and the missing db.url
        EXPECT_EQ(e.issues()[0].line, 2);
        EXPECT_EQ(e.issues()[1].line, 3);
        EXPECT_EQ(e.issues()[2].line, 5);
        EXPECT_EQ(e.issues()[3].key, "db.url");
        const std::string what = e.what();
        EXPECT_EQ(std::count(what.begin(), what.end(), '\n'), 3);
        EXPECT_NE(what.find("vtpd.toml:2:8: key 'http.port'"), std::string::npos);
    }
}

TEST(ConfigTest, AllowsOnlyKernelKeysAndTablesUnderPlugins)
{
    const auto issues =
        kernelIssues(std::string(kMinimalConfig) + "[plugins]\ndir = \"/opt\"\nenabld = [\"hello\"]\n[plugins.hello]\nanything = 1\n");
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].key, "plugins.enabld");
    EXPECT_EQ(issues[0].found, "unknown key (did you mean 'enabled'?)");
}

TEST(ConfigTest, ReportsTomlSyntaxErrorWithLineAndColumn)
{
    const auto issues = issuesOf([] { Config::parse("[http]\nport = = 3\n", "vtpd.toml", {}); });
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].line, 2);
    EXPECT_GT(issues[0].column, 1);
    EXPECT_EQ(issues[0].expected, "valid TOML");
    EXPECT_FALSE(issues[0].found.empty());
}

TEST(ConfigTest, ReportsMissingFile)
{
    const std::string path = "/nonexistent-vtp-dir/vtpd.toml";
    const auto issues = issuesOf([&] { Config::load(path, {}); });
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].file, path);
    EXPECT_EQ(issues[0].expected, "a readable TOML file");
    EXPECT_EQ(issues[0].found, "No such file or directory");
}

class ConfigFileTest : public ::testing::Test {
protected:
    void SetUp() override { path_ = std::filesystem::temp_directory_path() / ("vtp-config-test-" + std::to_string(::getpid()) + ".toml"); }
    void TearDown() override { std::filesystem::remove(path_); }
    void write(const std::string& text)
    {
        std::ofstream out(path_, std::ios::binary);
        out << text;
    }
    std::filesystem::path path_;
};

TEST_F(ConfigFileTest, LoadsFileFromDisk)
{
    write(std::string(kMinimalConfig) + "[http]\nport = 81\n");
    Config config = Config::load(path_.string(), {});
    config.validateKernel(kernelSchema());
    EXPECT_EQ(config.getInt("http.port"), 81);
    EXPECT_EQ(config.sourceName(), path_.string());
}

TEST_F(ConfigFileTest, RefusesFileLargerThanOneMebibyte)
{
    write(std::string(kMinimalConfig) + "# " + std::string(1024 * 1024, 'x') + "\n");
    const auto issues = issuesOf([&] { Config::load(path_.string(), {}); });
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].expected, "a TOML file of at most 1 MiB");
}

TEST(ConfigTest, RefusesDirectoryAsFile)
{
    const auto issues = issuesOf([] { Config::load(std::filesystem::temp_directory_path().string(), {}); });
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].expected, "a readable TOML file");
}

TEST(ConfigTest, GettersDistinguishUnsetFromWrongType)
{
    const Config config = validated(kMinimalConfig);
    EXPECT_THROW(config.getString("http.nothing"), std::out_of_range);
    EXPECT_THROW(config.getInt("http.listen"), std::invalid_argument);
    EXPECT_THROW(config.getString("http.port"), std::invalid_argument);
    EXPECT_TRUE(config.has("http.port"));
    EXPECT_FALSE(config.has("http.nothing"));
}

TEST(ConfigTest, ReadsUnvalidatedValuesFromFile)
{
    const Config config = Config::parse("[plugins.x]\nn = 3\n", "vtpd.toml", {});
    EXPECT_EQ(config.getInt("plugins.x.n"), 3);
    EXPECT_THROW(config.getBool("plugins.x.n"), std::invalid_argument);
    EXPECT_FALSE(config.has("plugins.x"));
}

TEST(ConfigTest, ListsPluginTables)
{
    const Config config =
        Config::parse("[plugins]\ndir = \"/x\"\n[plugins.b]\n[plugins.a]\nk = 1\n", "vtpd.toml", {{"VTP_PLUGINS__C__K", "1"}});
    EXPECT_EQ(config.pluginTables(), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(ConfigTest, HidesSecretValuesInIssues)
{
    ConfigSchema schema = helloSchema();
    Config config = Config::parse("[plugins.hello]\napi_key = 12345\nsmtp.password = 999\n", "vtpd.toml", {});
    const auto issues = issuesOf([&] { config.validatePlugin("hello", schema); });
    ASSERT_EQ(issues.size(), 2u);
    for (const ConfigIssue& issue : issues) {
        EXPECT_EQ(issue.found, "integer (hidden)");
        EXPECT_EQ(issue.format().find("999"), std::string::npos);
    }
}

TEST(ConfigTest, AcceptsNonAsciiInStringsAndComments)
{
    const Config config =
        Config::parse("# caf\u00e9\nname = \"caf\u00e9 \u2603\"\nml = \"\"\"\n\u00a7\"\"\"\nlit = '\u00a7'\n", "vtpd.toml", {});
    EXPECT_EQ(config.getString("name"), "caf\u00e9 \u2603");
    EXPECT_EQ(config.getString("ml"), "\u00a7");
    EXPECT_EQ(config.getString("lit"), "\u00a7");
}

// toml++ 3.3 reaches undefined behaviour on these (upstream issues #190 and #295).
TEST(ConfigTest, RefusesNonAsciiWhereTomlExpectsWhitespace)
{
    for (const std::string text : {"a = 1 \u00e9\n", "\xcc\xaa", "x = 1e_\"\uf37b\"\n", "x = 700['''h\u03c9'00\n"}) {
        const auto issues = issuesOf([&] { Config::parse(text, "vtpd.toml", {}); });
        ASSERT_EQ(issues.size(), 1u) << text;
        EXPECT_EQ(issues[0].line, 1) << text;
        EXPECT_EQ(issues[0].expected, "valid TOML") << text;
    }
    const auto issues = issuesOf([] { Config::parse("a = 1 \u00e9\n", "vtpd.toml", {}); });
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].column, 7);
    EXPECT_NE(issues[0].found.find("'\u00e9'"), std::string::npos) << issues[0].found;
}

TEST(ConfigTest, RefusesNonAsciiAfterLineEndingBackslash)
{
    const auto issues = issuesOf([] { Config::parse("s = \"\"\"\\\n\u00a7\"\"\"\n", "vtpd.toml", {}); });
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].line, 2);
    EXPECT_EQ(issues[0].found, "non-ASCII character '\u00a7'");
}

TEST(ConfigTest, RefusesInvalidUtf8WithPosition)
{
    const auto issues = issuesOf([] { Config::parse("a = 1\nb = \"\xff\"\n", "vtpd.toml", {}); });
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].line, 2);
    EXPECT_EQ(issues[0].column, 6);
    EXPECT_EQ(issues[0].expected, "UTF-8 text");
}

TEST(ConfigTest, AcceptsByteOrderMark)
{
    const Config config = Config::parse("\xef\xbb\xbfname = \"\u00e9\"\n", "vtpd.toml", {});
    EXPECT_EQ(config.getString("name"), "\u00e9");
}

// toml++ recurses once per key part when it frees tables; a huge dotted key would overflow the stack.
TEST(ConfigTest, RefusesKeyWithTooManyParts)
{
    std::string text = "[a";
    while (text.size() < 100000) text += ".a";
    text += "]\nx = 1\n";
    const auto issues = issuesOf([&] { Config::parse(text, "vtpd.toml", {}); });
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].line, 1);
    EXPECT_EQ(issues[0].expected, "keys of at most 64 dotted parts");
}

} // namespace
} // namespace vtp::kernel::test

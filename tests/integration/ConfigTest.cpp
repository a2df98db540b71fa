// Config errors and config features as an operator meets them: through the vtpd binary.
#include "IntegrationSupport.hpp"
#include "vtp/abi.h"

#include <gtest/gtest.h>

#include <sstream>

using namespace vtp::test;

namespace {

// A complete config for vtpd in `dir`; `http`, `database` and `plugins` add lines to those tables.
std::string configText(const TempDir& dir, const std::string& http = {}, const std::string& plugins = {},
                       const std::string& databaseUrl = "sqlite:vtp.db")
{
    return "[http]\nlisten = \"127.0.0.1:0\"\n" + http +
           "\n[websocket]\nlisten = \"127.0.0.1:0\"\n"
           "\n[storage]\ndata_dir = \"" +
           dir.path() +
           "/data\"\n"
           "\n[database]\nurl = \"" +
           databaseUrl +
           "\"\n"
           "\n[plugins]\ndir = \"" VTP_TEST_PLUGIN_DIR "\"\nenabled = [\"hello\"]\n" +
           plugins;
}

int runVtpd(const std::string& configPath, const std::vector<std::string>& extra, std::string& output)
{
    std::vector<std::string> args{VTP_TEST_VTPD, "--config", configPath};
    args.insert(args.end(), extra.begin(), extra.end());
    return VtpdProcess::run(args, output);
}

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

TEST(Config, UnknownKeyStopsStartNamingFileLineAndKey)
{
    TempDir dir;
    const std::string path = dir.file("vtpd.toml");
    writeFile(path, configText(dir, "bogus_key = 1\n"));
    std::string output;
    EXPECT_EQ(runVtpd(path, {}, output), 1) << output;
    EXPECT_TRUE(contains(output, path + ":3")) << output;
    EXPECT_TRUE(contains(output, "http.bogus_key")) << output;
}

TEST(Config, CheckConfigReportsUnknownKeyWithPosition)
{
    TempDir dir;
    const std::string path = dir.file("vtpd.toml");
    writeFile(path, configText(dir, "bogus_key = 1\n"));
    std::string output;
    EXPECT_EQ(runVtpd(path, {"--check-config"}, output), 1) << output;
    EXPECT_TRUE(contains(output, path + ":3:")) << output;
    EXPECT_TRUE(contains(output, "http.bogus_key")) << output;
}

TEST(Config, WrongTypeIsRefusedNamingKeyAndExpectedType)
{
    TempDir dir;
    const std::string path = dir.file("vtpd.toml");
    writeFile(path, configText(dir, "threads = \"many\"\n"));
    std::string output;
    EXPECT_EQ(runVtpd(path, {"--check-config"}, output), 1) << output;
    EXPECT_TRUE(contains(output, path + ":3")) << output;
    EXPECT_TRUE(contains(output, "http.threads")) << output;
    EXPECT_TRUE(contains(output, "integer")) << output;
}

TEST(Config, UnknownKeyInPluginTableIsRefused)
{
    TempDir dir;
    const std::string path = dir.file("vtpd.toml");
    writeFile(path, configText(dir, {}, "\n[plugins.hello]\ngreeting = \"Hey\"\nnonsense = 3\n"));
    std::string output;
    EXPECT_EQ(runVtpd(path, {}, output), 1) << output;
    EXPECT_TRUE(contains(output, "plugins.hello.nonsense")) << output;
    EXPECT_TRUE(contains(output, path + ":")) << output;
}

TEST(Config, CheckConfigPrintsEffectiveConfigWithPasswordMasked)
{
    TempDir dir;
    const std::string path = dir.file("vtpd.toml");
    writeFile(path, configText(dir, {}, {}, "postgresql://u:secret@127.0.0.1:1/x"));
    std::string output;
    EXPECT_EQ(runVtpd(path, {"--check-config"}, output), 0) << output;
    EXPECT_FALSE(contains(output, ":secret@")) << output;
    EXPECT_TRUE(contains(output, "postgresql://u:")) << output;
    EXPECT_TRUE(contains(output, "127.0.0.1:1/x")) << output;
    EXPECT_TRUE(contains(output, "max_body_bytes")) << "defaults belong in the effective config: " << output;
    EXPECT_TRUE(contains(output, "greeting")) << "plugin defaults belong in the effective config: " << output;
}

TEST(Config, CheckConfigFailsWhenAnEnabledPluginCannotLoad)
{
    TempDir dir;
    const std::string path = dir.file("vtpd.toml");
    std::string text = configText(dir);
    text.replace(text.find("enabled = [\"hello\"]"), 19, "enabled = [\"hello\", \"missing\"]");
    writeFile(path, text);
    std::string output;
    EXPECT_EQ(runVtpd(path, {"--check-config"}, output), 1) << output;
    EXPECT_TRUE(contains(output, "plugin missing would be refused (cannot-open)")) << output;
}

TEST(Config, EnvironmentOverrideChangesPluginSetting)
{
    VtpdOptions o;
    o.env = {{"VTP_PLUGINS__HELLO__GREETING", "Hi"}};
    VtpdProcess vtpd(o);
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    auto r = vtpd.get("/api/v1/hello/ada");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(jsonString(r.json(), "greeting"), "Hi, ada!");
}

TEST(Config, EnvironmentOverrideOfUnknownKeyIsRefused)
{
    TempDir dir;
    const std::string path = dir.file("vtpd.toml");
    writeFile(path, configText(dir));
    std::string output;
    const int rc = VtpdProcess::run({VTP_TEST_VTPD, "--config", path, "--check-config"}, output, {{"VTP_HTTP__NO_SUCH_KEY", "1"}});
    EXPECT_EQ(rc, 1) << output;
    EXPECT_TRUE(contains(output, "VTP_HTTP__NO_SUCH_KEY")) << output;
}

TEST(Config, VersionPrintsPluginAbi)
{
    std::string output;
    EXPECT_EQ(VtpdProcess::run({VTP_TEST_VTPD, "--version"}, output), 0);
    EXPECT_TRUE(contains(output, "plugin ABI " + std::to_string(VTP_ABI_MAJOR) + "." + std::to_string(VTP_ABI_MINOR))) << output;
}

TEST(Config, PrintSampleConfigKeepsTheFilesValuesAndShowsEveryOtherKeyCommentedOut)
{
    TempDir dir;
    const std::string path = dir.file("vtpd.toml");
    writeFile(path, "# Our site.\n\n" + configText(dir, "threads = 3\n", "\n[plugins.hello]\ngreeting = \"Hi\"\n"));
    std::string sample;
    // An override is the environment's, not the file's: the sample does not write it.
    ASSERT_EQ(VtpdProcess::run({VTP_TEST_VTPD, "--config", path, "--print-sample-config"}, sample, {{"VTP_HTTP__MAX_THREADS", "7"}}), 0)
        << sample;
    EXPECT_EQ(sample.rfind("# Our site.\n", 0), 0u) << sample;
    for (const char* line : {"\nthreads = 3\n", "\n#max_threads = 128\n", "\n#threads = 1\n", "\ngreeting = \"Hi\"\n",
                             "\n#max_name_length = 64\n", "\nenabled = [\"hello\"]\n"})
        EXPECT_TRUE(contains(sample, line)) << line << " is missing from\n" << sample;

    // The sample is a config with the same effect as the file it came from.
    const std::string copy = dir.file("sample.toml");
    writeFile(copy, sample);
    const auto effective = [](const std::string& config) {
        std::string output, text;
        EXPECT_EQ(runVtpd(config, {"--check-config"}, output), 0) << output;
        std::istringstream in(output);
        for (std::string line; std::getline(in, line);)
            if (line.rfind("{\"ts\"", 0) != 0) text += line + "\n"; // log lines carry the time
        return text;
    };
    EXPECT_EQ(effective(copy), effective(path));
}

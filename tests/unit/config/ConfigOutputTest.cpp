#include "TestSchemas.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <toml++/toml.h>

namespace vtp::kernel::test {
namespace {

const std::string kHelloConfig = std::string(kMinimalConfig) + "[plugins.hello]\n"
                                                               "greeting = \"hi \\\"there\\\"\"\n"
                                                               "api_key = \"k-123\"\n"
                                                               "[plugins.hello.smtp]\n"
                                                               "host = \"mail.example\"\n"
                                                               "password = \"hunter2\"\n";

Config helloConfig(const Env& env = {})
{
    Config config = Config::parse(kHelloConfig, "vtpd.toml", env);
    config.validateKernel(kernelSchema());
    config.validatePlugin("hello", helloSchema());
    return config;
}

TEST(ConfigOutputTest, ValidatesPluginTableWithNestedKeys)
{
    const Config config = helloConfig();
    EXPECT_EQ(config.getString("plugins.hello.greeting"), "hi \"there\"");
    EXPECT_EQ(config.getString("plugins.hello.smtp.host"), "mail.example");
    EXPECT_EQ(config.getInt("plugins.hello.smtp.port"), 25);
    EXPECT_EQ(config.getInt("plugins.hello.repeat"), 1);
}

TEST(ConfigOutputTest, RefusesUnknownAndMistypedPluginKeys)
{
    Config config = Config::parse("[plugins.hello]\ngreting = \"x\"\n[plugins.hello.smtp]\nport = \"x\"\n", "vtpd.toml", {});
    const auto issues = issuesOf([&] { config.validatePlugin("hello", helloSchema()); });
    ASSERT_EQ(issues.size(), 2u);
    EXPECT_EQ(issues[0].key, "plugins.hello.greting");
    EXPECT_EQ(issues[0].line, 2);
    EXPECT_EQ(issues[0].found, "unknown key (did you mean 'greeting'?)");
    EXPECT_EQ(issues[1].key, "plugins.hello.smtp.port");
    EXPECT_EQ(issues[1].line, 4);
    EXPECT_EQ(issues[1].expected, "integer");
}

TEST(ConfigOutputTest, RefusesPluginValueInsteadOfTable)
{
    Config config = Config::parse("[plugins]\nhello = 3\n", "vtpd.toml", {});
    const auto issues = issuesOf([&] { config.validatePlugin("hello", helloSchema()); });
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].key, "plugins.hello");
    EXPECT_EQ(issues[0].expected, "table");
}

TEST(ConfigOutputTest, AbsentPluginTableGetsDefaults)
{
    Config config = Config::parse(kMinimalConfig, "vtpd.toml", {});
    config.validatePlugin("hello", helloSchema());
    EXPECT_EQ(config.pluginJson("hello"), R"({"greeting":"hello","repeat":1,"smtp":{"host":"localhost","port":25}})");
}

TEST(ConfigOutputTest, PluginJsonNestsDottedKeysAndKeepsSecrets)
{
    const std::string json = helloConfig({{"VTP_PLUGINS__HELLO__REPEAT", "3"}}).pluginJson("hello");
    Poco::JSON::Parser parser;
    const auto root = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
    EXPECT_EQ(root->getValue<std::string>("greeting"), "hi \"there\"");
    EXPECT_EQ(root->getValue<int>("repeat"), 3);
    EXPECT_EQ(root->getValue<std::string>("api_key"), "k-123");
    const auto smtp = root->getObject("smtp");
    ASSERT_FALSE(smtp.isNull());
    EXPECT_EQ(smtp->getValue<std::string>("host"), "mail.example");
    EXPECT_EQ(smtp->getValue<std::string>("password"), "hunter2");
    EXPECT_EQ(smtp->getValue<int>("port"), 25);
    EXPECT_FALSE(root->has("smtp.host"));
}

TEST(ConfigOutputTest, PluginJsonRequiresValidation)
{
    const Config config = Config::parse(kHelloConfig, "vtpd.toml", {});
    EXPECT_THROW(config.pluginJson("hello"), std::logic_error);
}

TEST(ConfigOutputTest, EffectiveTomlMasksSecretsAndReparses)
{
    Config config = Config::parse(kHelloConfig, "vtpd.toml", {{"VTP_DB__URL", "postgresql://vtp:s3cr3t@db.example:5432/vtp"}});
    config.validateKernel(kernelSchema());
    config.validatePlugin("hello", helloSchema());
    const std::string text = config.effectiveToml();
    EXPECT_EQ(text.find("hunter2"), std::string::npos);
    EXPECT_EQ(text.find("k-123"), std::string::npos);
    EXPECT_EQ(text.find("s3cr3t"), std::string::npos);

    const toml::table doc = toml::parse(text);
    EXPECT_EQ(doc.at_path("db.url").value<std::string>(), "postgresql://vtp:****@db.example:5432/vtp");
    EXPECT_EQ(doc.at_path("plugins.hello.api_key").value<std::string>(), "********");
    EXPECT_EQ(doc.at_path("plugins.hello.smtp.password").value<std::string>(), "********");
    EXPECT_EQ(doc.at_path("plugins.hello.greeting").value<std::string>(), "hi \"there\"");
    EXPECT_EQ(doc.at_path("http.port").value<int64_t>(), 8080);
    EXPECT_EQ(doc.at_path("http.timeout").value<double>(), 30.0);
    EXPECT_EQ(doc.at_path("plugins.dir").value<std::string>(), "/usr/lib/vtp/plugins");
}

TEST(ConfigOutputTest, EffectiveTomlRevalidatesToSameValues)
{
    ConfigSchema schema = kernelSchema();
    KeySpec name = spec("site.name", ValueType::String, std::string("tab\there \u00e9 \x01 \"q\""));
    schema.add(name);
    Config config = Config::parse(kMinimalConfig, "vtpd.toml", {});
    config.validateKernel(schema);
    Config again = Config::parse(config.effectiveToml(), "effective.toml", {});
    again.validateKernel(schema);
    EXPECT_EQ(again.getString("site.name"), config.getString("site.name"));
    EXPECT_EQ(again.effectiveToml(), config.effectiveToml());
}

TEST(ConfigOutputTest, MasksKeysNamedLikeCredentials)
{
    ConfigSchema schema = kernelSchema();
    schema.add(spec("auth.jwt_secret", ValueType::String, std::string("abc")));
    schema.add(spec("auth.refresh_token_ttl", ValueType::Integer, int64_t{42}));
    Config config = Config::parse(kMinimalConfig, "vtpd.toml", {});
    config.validateKernel(schema);
    const toml::table doc = toml::parse(config.effectiveToml());
    EXPECT_EQ(doc.at_path("auth.jwt_secret").value<std::string>(), "********");
    EXPECT_EQ(doc.at_path("auth.refresh_token_ttl").value<std::string>(), "********");
}

TEST(ConfigOutputTest, RevalidationReplacesEarlierValues)
{
    Config config = Config::parse("[plugins.hello]\nrepeat = 4\n", "vtpd.toml", {});
    config.validatePlugin("hello", helloSchema());
    ConfigSchema smaller("plugins.hello");
    smaller.add(spec("repeat", ValueType::Integer));
    config.validatePlugin("hello", smaller);
    EXPECT_EQ(config.pluginJson("hello"), R"({"repeat":4})");
}

} // namespace
} // namespace vtp::kernel::test

// The shipped config/vtpd.toml starts every plugin it enables, and none is refused: the first
// Quick start command runs exactly this (on its own ports and data directory here).
#include "IntegrationSupport.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace vtp::test;

TEST(ShippedConfig, StartsEveryInTreePluginWithoutARefusal)
{
    TempDir dir;
    const std::string ready = dir.file("ready.json");
    const std::string log = dir.file("vtpd.log");
    std::vector<std::string> args{"/usr/bin/env",
                                  "VTP_HTTP__LISTEN=127.0.0.1:0",
                                  "VTP_WEBSOCKET__LISTEN=127.0.0.1:0",
                                  "VTP_STORAGE__DATA_DIR=" + dir.file("data"),
                                  std::string("VTP_PLUGINS__DIR=") + VTP_TEST_PLUGIN_DIR,
                                  VTP_TEST_VTPD,
                                  "--config",
                                  std::string(VTP_SOURCE_DIR) + "/config/vtpd.toml",
                                  "--ready-file",
                                  ready};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    const bool started = waitForFile(ready, pidfd, std::chrono::seconds(60));
    std::string body;
    int status = 0;
    if (started) {
        const auto j = Poco::JSON::Parser().parse(readFile(ready)).extract<Poco::JSON::Object::Ptr>();
        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<uint16_t>(j->getValue<int>("http")));
        Poco::Net::HTTPRequest req("GET", "/ready");
        session.sendRequest(req);
        Poco::Net::HTTPResponse resp;
        Poco::StreamCopier::copyToString(session.receiveResponse(resp), body);
        status = resp.getStatus();
    }
    ::kill(pid, SIGTERM);
    int exitStatus = 0;
    ::waitpid(pid, &exitStatus, 0);
    ::close(pidfd);
    ASSERT_TRUE(started) << readFile(log);
    ASSERT_EQ(status, 200) << body;
    const auto ready_ = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
    EXPECT_FALSE(ready_->getValue<bool>("degraded")) << body;
    std::set<std::string> running;
    const auto plugins = ready_->getArray("plugins");
    for (size_t i = 0; i < plugins->size(); ++i) {
        const auto p = plugins->getObject(static_cast<unsigned>(i));
        EXPECT_EQ(p->getValue<std::string>("state"), "running") << p->getValue<std::string>("name") << ": " << body;
        running.insert(p->getValue<std::string>("name"));
    }
    for (const char* name : {"auth", "signalling", "courses", "recording", "hello"})
        EXPECT_TRUE(running.count(name)) << name << " is not enabled";
    EXPECT_TRUE(WIFEXITED(exitStatus) && WEXITSTATUS(exitStatus) == 0) << "a clean shutdown";
}

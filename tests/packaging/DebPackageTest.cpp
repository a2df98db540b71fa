// The installed Debian package (the ctest fixture packaging.install_deb built it from this
// tree and ran `dpkg -i`): the system user and state directory, the conffile, and the
// installed vtpd serving as user vtp with the installed config (started directly, not
// through systemd, which CI machines do not run).

#include "Spawn.hpp"
#include "TestSupport.hpp"
#include "WaitForFile.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

using vtp::test::readFile;
using vtp::test::spawnLogged;
using vtp::test::TempDir;

constexpr const char* kConfig = "/etc/vtp/vtpd.toml";
constexpr const char* kStateDir = "/var/lib/vtp";
constexpr const char* kUnit = "/lib/systemd/system/vtpd.service";

int waitExit(pid_t pid)
{
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct RunResult {
    int code = -1;
    std::string output;
};

RunResult run(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {})
{
    TempDir dir;
    const std::string log = dir.file("out.log");
    RunResult r;
    r.code = waitExit(spawnLogged(args, log, env));
    r.output = readFile(log);
    return r;
}

bool onPath(const std::string& program)
{
    return run({"sh", "-c", "command -v " + program}).code == 0;
}

std::optional<passwd> vtpUser()
{
    const passwd* pw = ::getpwnam("vtp");
    if (!pw) return std::nullopt;
    return *pw;
}

struct HttpAnswer {
    int status = 0;
    std::string body;
};

HttpAnswer get(uint16_t port, const std::string& path)
{
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    HttpAnswer a;
    a.status = resp.getStatus();
    Poco::StreamCopier::copyToString(in, a.body);
    return a;
}

Poco::JSON::Object::Ptr parseObject(const std::string& text)
{
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

// The real uid of a process, from /proc.
std::optional<uid_t> processUid(pid_t pid)
{
    std::istringstream status(readFile("/proc/" + std::to_string(pid) + "/status"));
    for (std::string line; std::getline(status, line);)
        if (line.rfind("Uid:", 0) == 0) return static_cast<uid_t>(std::stoul(line.substr(4)));
    return std::nullopt;
}

class InstalledPackage : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0) GTEST_SKIP() << "the package is installed only when the tests run as root";
    }
};

TEST_F(InstalledPackage, IsInstalledWithTheProjectVersion)
{
    const RunResult r = run({"dpkg-query", "-W", "-f=${Status} ${Version}", "vtp"});
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(r.output, std::string("install ok installed ") + VTP_PROJECT_VERSION);
}

TEST_F(InstalledPackage, CreatesTheVtpSystemUserOwningTheStateDirectory)
{
    const auto user = vtpUser();
    ASSERT_TRUE(user) << "no user vtp";
    EXPECT_LT(user->pw_uid, 1000u) << "vtp should be a system user";
    const group* g = ::getgrnam("vtp");
    ASSERT_NE(g, nullptr) << "no group vtp";
    EXPECT_EQ(user->pw_gid, g->gr_gid);
    EXPECT_STREQ(user->pw_dir, kStateDir);

    struct stat st {};
    ASSERT_EQ(::stat(kStateDir, &st), 0) << kStateDir << " is missing";
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_uid, user->pw_uid);
    EXPECT_EQ(st.st_gid, g->gr_gid);
    EXPECT_EQ(st.st_mode & 07777, 0750u);
}

TEST_F(InstalledPackage, ConfigIsAConffileReadableByTheVtpGroupOnly)
{
    const RunResult r = run({"dpkg-query", "-W", "-f=${Conffiles}", "vtp"});
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find(kConfig), std::string::npos) << r.output;

    struct stat st {};
    ASSERT_EQ(::stat(kConfig, &st), 0);
    const group* g = ::getgrnam("vtp");
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(st.st_uid, 0u);
    EXPECT_EQ(st.st_gid, g->gr_gid);
    EXPECT_EQ(st.st_mode & 07777, 0640u);

    // Generated from config/vtpd.toml with the installed paths, none of the build tree's.
    const std::string text = readFile(kConfig);
    EXPECT_NE(text.find("data_dir = \"/var/lib/vtp\""), std::string::npos);
    EXPECT_EQ(text.find("../build"), std::string::npos) << text;
    // Every plugin the shipped config enables, and they were packaged.
    const std::string source = readFile(std::string(VTP_SOURCE_DIR) + "/config/vtpd.toml");
    const size_t at = source.find("\nenabled = [");
    ASSERT_NE(at, std::string::npos);
    const std::string enabledLine = source.substr(at + 1, source.find('\n', at + 1) - at - 1);
    EXPECT_NE(text.find(enabledLine), std::string::npos) << enabledLine;
}

TEST_F(InstalledPackage, InstalledConfigPassesCheckConfigAsVtp)
{
    const RunResult r = run({"runuser", "-u", "vtp", "--", "/usr/bin/vtpd", "--check-config", "--config", kConfig});
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("data_dir = \"/var/lib/vtp\""), std::string::npos) << r.output;
}

TEST_F(InstalledPackage, UnitPassesSystemdAnalyzeVerify)
{
    if (!onPath("systemd-analyze")) GTEST_SKIP() << "systemd-analyze is not installed";
    const RunResult r = run({"systemd-analyze", "verify", kUnit});
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(r.output.find("vtpd.service:"), std::string::npos) << "warnings about the unit:\n" << r.output;
}

TEST_F(InstalledPackage, InstalledVtpdServesAsVtpAndStopsCleanlyOnSigterm)
{
    const auto user = vtpUser();
    ASSERT_TRUE(user);
    TempDir dir("vtp-pkg");
    ASSERT_EQ(::chown(dir.path().c_str(), user->pw_uid, user->pw_gid), 0);
    const std::string readyFile = dir.file("ready.json");
    const std::string logFile = dir.file("vtpd.log");

    // The installed config unchanged, except free ports.
    const pid_t runuser = spawnLogged({"runuser", "-u", "vtp", "--", "/usr/bin/vtpd", "--config", kConfig, "--ready-file", readyFile},
                                      logFile, {{"VTP_HTTP__LISTEN", "127.0.0.1:0"}, {"VTP_WEBSOCKET__LISTEN", "127.0.0.1:0"}});
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, runuser, 0));
    const bool ready = vtp::test::waitForFile(readyFile, pidfd, std::chrono::seconds(30));
    ::close(pidfd);
    if (!ready) {
        ::kill(runuser, SIGTERM);
        waitExit(runuser);
        FAIL() << "vtpd did not become ready:\n" << readFile(logFile);
    }
    const auto info = parseObject(readFile(readyFile));
    const auto port = static_cast<uint16_t>(info->getValue<int>("http"));
    const auto vtpdPid = static_cast<pid_t>(info->getValue<int>("pid"));

    EXPECT_EQ(processUid(vtpdPid), user->pw_uid) << "vtpd does not run as vtp";

    const HttpAnswer health = get(port, "/health");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(parseObject(health.body)->getValue<std::string>("status"), "ok");

    const HttpAnswer readiness = get(port, "/ready");
    EXPECT_EQ(readiness.status, 200) << readiness.body;
    const auto body = parseObject(readiness.body);
    EXPECT_EQ(body->getValue<std::string>("status"), "ready");
    bool helloRunning = false;
    const auto plugins = body->getArray("plugins");
    ASSERT_TRUE(plugins) << readiness.body;
    for (size_t i = 0; i < plugins->size(); ++i) {
        const auto p = plugins->getObject(static_cast<unsigned>(i));
        if (p->getValue<std::string>("name") == "hello") helloRunning = p->getValue<std::string>("state") == "running";
    }
    EXPECT_TRUE(helloRunning) << readiness.body;

    // The example route writes to SQLite in /var/lib/vtp: the state directory is writable by vtp.
    const HttpAnswer hello = get(port, "/api/v1/hello/package");
    EXPECT_EQ(hello.status, 200) << hello.body;

    // runuser passes on vtpd's exit status.
    ASSERT_EQ(::kill(vtpdPid, SIGTERM), 0);
    EXPECT_EQ(waitExit(runuser), 0) << readFile(logFile);
    const std::string log = readFile(logFile);
    EXPECT_NE(log.find("\"msg\":\"stopped\""), std::string::npos) << log;
}

} // namespace

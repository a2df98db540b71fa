#pragma once

// Starts the real vtpd binary on free ports with a generated config and talks HTTP to it.
// Waits on the --ready-file (inotify) and on the child's exit (pidfd), never on sleeps.

#include "Spawn.hpp"
#include "TestLogs.hpp"
#include "TestSupport.hpp"
#include "WaitForFile.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace vtp::test {

struct HttpResult {
    int status = 0;
    std::string body;
    std::string contentType;
    std::map<std::string, std::string> headers;
    Poco::JSON::Object::Ptr json() const { return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>(); }
};

struct VtpdOptions {
    std::string pluginsDir; // default: the build tree's plugins
    std::vector<std::string> enabled{"hello"};
    std::string databaseUrl;                // default: sqlite in the data dir
    std::string extraToml;                  // appended verbatim (plugin tables, limits)
    std::map<std::string, std::string> env; // extra environment (VTP_X__Y overrides)
    std::vector<std::string> extraArgs;
};

#ifdef VTP_TEST_HTTP_RECORD_DIR
// Every exchange of request() is appended as one JSON line for the OpenAPI conformance test
// (tests/integration/npm/openapi-conformance.mjs): one file per test process, in a directory per
// ctest run (ctest is every test's parent), each line written by one O_APPEND write().
inline void recordHttpExchange(const std::string& method, const std::string& target, const HttpResult& r)
{
    auto quoted = [](std::string_view s) {
        std::string out = "\"";
        for (const char c : s) {
            if (c == '"' || c == '\\') {
                out += '\\';
                out += c;
            } else if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
                out += buf;
            } else {
                out += c;
            }
        }
        return out + '"';
    };
    const std::string dir = std::string(VTP_TEST_HTTP_RECORD_DIR) + "/run-" + std::to_string(::getppid());
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    const bool json = r.contentType.find("json") != std::string::npos;
    const std::string line = "{\"method\":" + quoted(method) + ",\"target\":" + quoted(target) + ",\"status\":" + std::to_string(r.status) +
                             ",\"content_type\":" + quoted(r.contentType) + ",\"body_bytes\":" + std::to_string(r.body.size()) +
                             ",\"body\":" + (json ? quoted(r.body) : std::string("null")) + "}\n";
    const int fd = ::open((dir + "/" + std::to_string(::getpid()) + ".jsonl").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return;
    [[maybe_unused]] const auto written = ::write(fd, line.data(), line.size());
    ::close(fd);
}
#endif

class VtpdProcess {
public:
    explicit VtpdProcess(VtpdOptions options = {}) : options_(std::move(options))
    {
        if (options_.pluginsDir.empty()) options_.pluginsDir = VTP_TEST_PLUGIN_DIR;
        configPath_ = dir_.path() + "/vtpd.toml";
        readyPath_ = dir_.path() + "/ready.json";
        // Kept beyond the test (build/test-logs) for the check that no secret reached a log.
        logPath_ = testLogPath("vtpd");
        if (logPath_.empty()) logPath_ = dir_.path() + "/vtpd.log";
        writeFile(configPath_, config());
    }

    ~VtpdProcess()
    {
        if (pid_ > 0) stop();
    }

    std::string config() const
    {
        std::ostringstream t;
        t << "[http]\nlisten = \"127.0.0.1:0\"\n\n[websocket]\nlisten = \"127.0.0.1:0\"\n\n";
        t << "[storage]\ndata_dir = \"" << dir_.path() << "/data\"\n\n";
        t << "[database]\nurl = \"" << (options_.databaseUrl.empty() ? "sqlite:vtp.db" : options_.databaseUrl) << "\"\n\n";
        t << "[log]\nlevel = \"debug\"\n\n";
        t << "[plugins]\ndir = \"" << options_.pluginsDir << "\"\nenabled = [";
        for (size_t i = 0; i < options_.enabled.size(); ++i) t << (i ? ", " : "") << '"' << options_.enabled[i] << '"';
        t << "]\n\n" << options_.extraToml << "\n";
        return t.str();
    }

    // Starts vtpd; returns true once it wrote the ready file.
    bool start(std::chrono::milliseconds timeout = std::chrono::seconds(30))
    {
        std::filesystem::remove(readyPath_);
        std::vector<std::string> args{VTP_TEST_VTPD, "--config", configPath_, "--ready-file", readyPath_};
        args.insert(args.end(), options_.extraArgs.begin(), options_.extraArgs.end());
        pid_ = spawnLogged(args, logPath_, options_.env);
        pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
        const bool ready = waitForFile(readyPath_, pidfd_, timeout);
        if (!ready) return false;
        auto j = Poco::JSON::Parser().parse(readFile(readyPath_)).extract<Poco::JSON::Object::Ptr>();
        httpPort_ = static_cast<uint16_t>(j->getValue<int>("http"));
        wsPort_ = static_cast<uint16_t>(j->getValue<int>("websocket"));
        return true;
    }

    // SIGTERM and wait; returns the exit status (or 128+signal).
    int stop(int sig = SIGTERM)
    {
        if (pid_ <= 0) return exitCode_;
        ::kill(pid_, sig);
        return wait();
    }

    int wait()
    {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        if (pidfd_ >= 0) ::close(pidfd_);
        pidfd_ = -1;
        exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exitCode_;
    }

    // Runs vtpd (or another binary) to completion with this config; returns exit code and output.
    static int run(const std::vector<std::string>& args, std::string& output, const std::map<std::string, std::string>& env = {})
    {
        TempDir d;
        std::string log = testLogPath(std::filesystem::path(args.at(0)).filename().string());
        if (log.empty()) log = d.path() + "/out.log";
        const pid_t pid = spawnLogged(args, log, env);
        int status = 0;
        ::waitpid(pid, &status, 0);
        output = readFile(log);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

    HttpResult request(const std::string& method, const std::string& path, const std::string& body = {},
                       const std::string& contentType = "application/json", const std::map<std::string, std::string>& headers = {}) const
    {
        Poco::Net::HTTPClientSession session("127.0.0.1", httpPort_);
        session.setTimeout(Poco::Timespan(10, 0));
        Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        for (const auto& [k, v] : headers) {
            req.set(k, v);
            if (Poco::icompare(k, "Authorization") == 0 && v.size() > 7) recordSecret(std::string_view(v).substr(7));
        }
        recordSecretsInJson(body);
        if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
            req.setContentType(contentType);
            req.setContentLength(static_cast<std::streamsize>(body.size()));
        }
        std::ostream& os = session.sendRequest(req);
        os << body;
        Poco::Net::HTTPResponse resp;
        std::istream& is = session.receiveResponse(resp);
        HttpResult r;
        r.status = resp.getStatus();
        r.contentType = resp.getContentType();
        for (const auto& [k, v] : resp) r.headers[k] = v;
        Poco::StreamCopier::copyToString(is, r.body);
        recordSecretsInJson(r.body, method == "POST" && path.rfind("/api/v1/invites", 0) == 0);
#ifdef VTP_TEST_HTTP_RECORD_DIR
        recordHttpExchange(method, path, r);
#endif
        return r;
    }
    HttpResult get(const std::string& path, const std::map<std::string, std::string>& headers = {}) const
    {
        return request("GET", path, {}, {}, headers);
    }

    uint16_t httpPort() const
    {
        return httpPort_;
    }
    uint16_t wsPort() const
    {
        return wsPort_;
    }
    pid_t pid() const
    {
        return pid_;
    }
    std::string logs() const
    {
        return readFile(logPath_);
    }
    const std::string& configPath() const
    {
        return configPath_;
    }
    const std::string& dir() const
    {
        return dir_.path();
    }
    void rewriteConfig(const std::string& text)
    {
        writeFile(configPath_, text);
    }

private:
    VtpdOptions options_;
    TempDir dir_;
    std::string configPath_, readyPath_, logPath_;
    pid_t pid_ = -1;
    int pidfd_ = -1;
    int exitCode_ = -1;
    uint16_t httpPort_ = 0, wsPort_ = 0;
};

inline std::string jsonString(const Poco::JSON::Object::Ptr& o, const std::string& key)
{
    return o->has(key) ? o->getValue<std::string>(key) : std::string();
}

} // namespace vtp::test

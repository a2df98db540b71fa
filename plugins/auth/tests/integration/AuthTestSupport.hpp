#pragma once

// What the auth plugin's end-to-end tests share: a vtpd with auth (and testkit's role-guarded
// routes), the backend it runs on, a real SMTP server, and HTTP from chosen source addresses.

#include "ChildProcess.hpp"
#include "IntegrationSupport.hpp"
#include "PollUntil.hpp"

#include "TestDatabase.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <filesystem>
#include <random>
#include <thread>

namespace vtp::test {

enum class Backend { SQLite, PostgreSQL };

inline std::string backendName(const ::testing::TestParamInfo<Backend>& info)
{
    return info.param == Backend::SQLite ? "SQLite" : "PostgreSQL";
}

// Fast Argon2 parameters keep the suite quick; the defaults are measured in bench/auth.
inline const char* kFastArgon = "[plugins.auth.argon2]\nmemory_kib = 8192\niterations = 1\n\n";

inline std::string jsonBody(std::initializer_list<std::pair<std::string, std::string>> fields)
{
    Poco::JSON::Object o;
    for (const auto& [k, v] : fields) o.set(k, v);
    std::ostringstream s;
    o.stringify(s);
    return s.str();
}

inline std::map<std::string, std::string> bearer(const std::string& token)
{
    return {{"Authorization", "Bearer " + token}};
}

struct Tokens {
    std::string access, refresh, session;
};

// Debian's aiosmtpd on a free loopback port, storing every message in a Maildir.
class SmtpServer {
public:
    SmtpServer() : port_(freeLoopbackPort())
    {
        maildir_ = dir_.file("maildir");
        process_ = std::make_unique<ChildProcess>(std::vector<std::string>{VTP_TEST_PYTHON3, "-m", "aiosmtpd", "-n", "-l",
                                                                           "127.0.0.1:" + std::to_string(port_), "-c",
                                                                           "aiosmtpd.handlers.Mailbox", maildir_},
                                                  dir_.file("smtp.log"));
        // Ready once it accepts a connection (it binds after importing its modules).
        if (!waitForTcpPort(port_, *process_, std::chrono::seconds(20)))
            throw std::runtime_error("aiosmtpd did not start: " + readFile(dir_.file("smtp.log")));
    }
    uint16_t port() const { return port_; }

    // Waits for the next message for `to` that arrived after `seen` earlier messages.
    std::string waitForMail(size_t index, std::chrono::seconds timeout = std::chrono::seconds(20)) const
    {
        std::vector<std::string> all;
        if (!vtp::test::pollUntil([&] { return (all = messages()).size() > index; }, timeout, std::chrono::milliseconds(20)))
            throw std::runtime_error("no mail #" + std::to_string(index) + " arrived");
        // A reset token read from the mail is a secret no log may show.
        const std::string& mail = all[index];
        if (const auto at = mail.find("Reset token: "); at != std::string::npos)
            recordSecret(mail.substr(at + 13, mail.find_first_of(" \r\n", at + 13) - (at + 13)));
        return mail;
    }
    // Every message so far, oldest first.
    std::vector<std::string> messages() const
    {
        std::vector<std::pair<std::filesystem::file_time_type, std::string>> files;
        std::error_code ec;
        for (const auto& sub : {"new", "cur"})
            for (const auto& e : std::filesystem::directory_iterator(maildir_ + "/" + sub, ec))
                files.emplace_back(e.last_write_time(), e.path().string());
        std::sort(files.begin(), files.end());
        std::vector<std::string> out;
        for (const auto& f : files) out.push_back(readFile(f.second));
        return out;
    }

private:
    TempDir dir_;
    uint16_t port_;
    std::string maildir_;
    std::unique_ptr<ChildProcess> process_;
};

// An HTTP/1.1 request from a chosen loopback source address (127.0.0.2 and up), for tests of
// per-address throttling.
inline RawResponse requestFrom(const std::string& source, uint16_t port, const std::string& method, const std::string& path,
                               const std::string& body)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &local.sin_addr);
    sockaddr_in remote{};
    remote.sin_family = AF_INET;
    remote.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot connect from " + source);
    }
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const std::string request = method + " " + path +
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                "Content-Type: application/json\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::string buffer;
    char chunk[4096];
    ssize_t n;
    while ((n = ::recv(fd, chunk, sizeof chunk, 0)) > 0) buffer.append(chunk, static_cast<size_t>(n));
    ::close(fd);
    auto r = takeResponse(buffer);
    if (!r) throw std::runtime_error("no HTTP response");
    return *r;
}

// A vtpd with the auth plugin (and testkit's role-guarded routes) on SQLite or on a fresh
// PostgreSQL schema.
class AuthServer {
public:
    AuthServer(Backend backend, const std::string& authToml, std::vector<std::string> enabled = {"auth", "testkit"},
               const std::string& pluginsDir = {})
        : backend_(backend)
    {
        if (backend == Backend::PostgreSQL) {
            const std::string url = postgresUrl();
            admin_ = vtp::test::TestDatabase::open(url + "?options=-cclient_min_messages%3Dwarning");
            std::random_device random;
            schema_ = "auth_" + std::to_string(random()) + std::to_string(random());
            admin_->exec("CREATE SCHEMA " + schema_);
            options_.databaseUrl = url + "?options=-csearch_path%3D" + schema_;
        }
        options_.enabled = std::move(enabled);
        options_.extraToml = authToml;
        options_.pluginsDir = pluginsDir;
        vtpd_ = std::make_unique<VtpdProcess>(options_);
    }
    ~AuthServer()
    {
        vtpd_.reset();
        db_.reset();
        if (admin_) admin_->exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    }

    VtpdProcess& vtpd() { return *vtpd_; }
    bool start() { return vtpd_->start(); }

    // Runs vtpctl on this server's config with `input` on stdin.
    int vtpctl(const std::vector<std::string>& args, const std::string& input, std::string& output) const
    {
        const std::string in = vtpd_->dir() + "/stdin.txt";
        writeFile(in, input);
        std::string cmd = std::string(VTP_TEST_VTPCTL) + " --config " + vtpd_->configPath();
        for (const auto& a : args) cmd += " '" + a + "'";
        cmd += " < " + in + " 2>&1";
        FILE* p = ::popen(cmd.c_str(), "r");
        char buf[4096];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
        const int status = ::pclose(p);
        // Kept with vtpd's logs: the secrets check reads vtpctl's output too.
        if (const std::string log = testLogPath("vtpctl"); !log.empty()) writeFile(log, output);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    }

    // An account made through vtpctl (the way an operator makes the first admin).
    void createUser(const std::string& email, const std::string& password, const std::string& role)
    {
        recordSecret(password);
        std::string out;
        const int rc = vtpctl({"user", "create", "--email", email, "--role", role}, password + "\n", out);
        if (rc != 0) throw std::runtime_error("vtpctl user create failed: " + out);
    }

    HttpResult post(const std::string& path, const std::string& body, const std::map<std::string, std::string>& headers = {}) const
    {
        return vtpd_->request("POST", path, body, "application/json", headers);
    }

    Tokens login(const std::string& email, const std::string& password) const
    {
        const auto r = post("/api/v1/auth/login", jsonBody({{"email", email}, {"password", password}}));
        if (r.status != 200) throw std::runtime_error("login answered " + std::to_string(r.status) + ": " + r.body);
        const auto j = r.json();
        return {j->getValue<std::string>("access_token"), j->getValue<std::string>("refresh_token"),
                j->getValue<std::string>("session_id")};
    }

    // One SQL query against this server's database, from the test's side.
    vtp::test::TestRows query(const std::string& sql, const std::vector<vtp::test::TestValue>& params = {})
    {
        if (!db_)
            db_ = vtp::test::TestDatabase::open(backend_ == Backend::PostgreSQL ? options_.databaseUrl
                                                                                : "sqlite:" + vtpd_->dir() + "/data/vtp.db");
        return db_->query(sql, params);
    }

private:
    Backend backend_;
    std::unique_ptr<vtp::test::TestDatabase> admin_, db_;
    std::string schema_;
    VtpdOptions options_;
    std::unique_ptr<VtpdProcess> vtpd_;
};

inline std::string problemType(const HttpResult& r)
{
    try {
        return jsonString(r.json(), "type");
    } catch (...) {
        return "not a problem: " + r.body;
    }
}

} // namespace vtp::test

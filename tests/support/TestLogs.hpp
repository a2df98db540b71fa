#pragma once

// Where the tests keep vtpd's logs, and the secrets they saw, so that one test run last
// (test_logs_no_secrets, tests/support/check-test-logs.sh) can prove that no token, password,
// refresh token, invite code or feed secret a test created reached a log.
//
// The directory is VTP_TEST_LOG_DIR (the build tree's test-logs/, emptied at the start of each
// ctest run by the test_logs_clear fixture). Every VtpdProcess writes its log there; every
// credential that passes through VtpdProcess::request (request bodies, bearer headers, token
// responses) is appended to secrets.txt beside the logs. Helpers that get a secret some other
// way (a reset token read from the SMTP server, a password given to vtpctl) call recordSecret().

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <string_view>

namespace vtp::test {

// The directory of the logs kept for the secrets check; empty when the build defines none.
inline std::string testLogDir()
{
#ifdef VTP_TEST_LOG_DIR
    static const std::string dir = [] {
        std::error_code ignored;
        std::filesystem::create_directories(VTP_TEST_LOG_DIR, ignored);
        return std::string(VTP_TEST_LOG_DIR);
    }();
    return dir;
#else
    return {};
#endif
}

// A fresh log path in testLogDir() named after the running test ("Suite.Name-PID-N.KIND.log"),
// or an empty string when there is no such directory.
inline std::string testLogPath(const std::string& kind)
{
    const std::string dir = testLogDir();
    if (dir.empty()) return {};
    static std::atomic<int> counter{0};
    std::string name = "no-test";
    if (const auto* info = ::testing::UnitTest::GetInstance()->current_test_info())
        name = std::string(info->test_suite_name()) + "." + info->name();
    for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
    return dir + "/" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + "." + kind + ".log";
}

// Appends `secret` to secrets.txt in testLogDir(). One write(2) with O_APPEND per secret, so that
// test processes running at once (ctest -j) never interleave lines.
inline void recordSecret(std::string_view secret)
{
    const std::string dir = testLogDir();
    if (dir.empty() || secret.empty() || secret.find_first_of("\r\n") != std::string_view::npos) return;
    const int fd = ::open((dir + "/secrets.txt").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return;
    std::string line(secret);
    line += '\n';
    [[maybe_unused]] const auto written = ::write(fd, line.data(), line.size());
    ::close(fd);
}

namespace detail {

inline bool isSecretMember(const std::string& key)
{
    static const char* const names[] = {"password",      "new_password", "current_password", "old_password", "access_token",
                                        "refresh_token", "token",        "invite_code",      "credential",   "secret"};
    for (const char* n : names)
        if (key == n) return true;
    return false;
}

inline void recordSecretsIn(const Poco::Dynamic::Var& value, bool inviteResponse)
{
    if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
        const auto o = value.extract<Poco::JSON::Object::Ptr>();
        if (!o) return;
        for (const auto& [key, member] : *o) {
            if (member.isString() && (isSecretMember(key) || (inviteResponse && key == "code")))
                recordSecret(member.convert<std::string>());
            else
                recordSecretsIn(member, false);
        }
    } else if (value.type() == typeid(Poco::JSON::Array::Ptr)) {
        const auto a = value.extract<Poco::JSON::Array::Ptr>();
        if (!a) return;
        for (const auto& member : *a) recordSecretsIn(member, false);
    }
}

} // namespace detail

// Records the credentials in a JSON text (members named password, token, refresh_token, secret...;
// `inviteResponse`: also the top-level "code" of a created invite). Not JSON: nothing.
inline void recordSecretsInJson(const std::string& text, bool inviteResponse = false)
{
    if (testLogDir().empty() || text.empty() || (text.front() != '{' && text.front() != '[')) return;
    try {
        detail::recordSecretsIn(Poco::JSON::Parser().parse(text), inviteResponse);
    } catch (const std::exception&) {
        // A body that is malformed on purpose carries nothing to record.
    }
}

} // namespace vtp::test

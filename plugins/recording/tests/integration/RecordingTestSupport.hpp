#pragma once

// What the recording plugin's end-to-end tests share: a real vtpd with auth, courses, recording
// and testkit (whose events route shows what recording published) on SQLite or PostgreSQL,
// accounts made the way users and operators make them, JSON calls with a bearer token, and tus
// requests.

#include "AuthTestSupport.hpp"
#include "IntegrationSupport.hpp"
#include "PollUntil.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/SHA2Engine.h>

#include <chrono>
#include <functional>
#include <random>

namespace vtp::test {

inline const char* kRecordingPassword = "lecture-hall-42-blue";

struct Account {
    std::string id, email, token;
};

using JsonObject = Poco::JSON::Object::Ptr;
using JsonArray = Poco::JSON::Array::Ptr;

inline std::string str(const JsonObject& o, const std::string& key)
{
    return jsonString(o, key);
}

// A response header, whatever the case of its name.
inline std::string headerOf(const HttpResult& r, const std::string& name)
{
    for (const auto& [k, v] : r.headers)
        if (Poco::icompare(k, name) == 0) return v;
    return {};
}

inline std::string sha256Hex(const std::string& bytes)
{
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(bytes.data(), bytes.size());
    return Poco::DigestEngine::digestToHex(engine.digest());
}

inline std::string randomBytes(size_t n, uint32_t seed)
{
    std::mt19937 gen(seed);
    std::string out(n, '\0');
    for (auto& c : out) c = static_cast<char>(gen() & 0xff);
    return out;
}

class RecordingServer {
public:
    explicit RecordingServer(Backend backend, const std::string& recordingToml = "")
        : auth_(backend,
                std::string("[plugins.auth]\nregistration = \"open\"\n\n") + kFastArgon +
                    "[plugins.testkit]\nevent_patterns = [\"recording.*\"]\n\n[plugins.recording]\n" + recordingToml + "\n",
                {"auth", "courses", "recording", "testkit"})
    {
        if (!auth_.start()) throw std::runtime_error("vtpd did not start: " + auth_.vtpd().logs());
    }

    AuthServer& auth() { return auth_; }
    VtpdProcess& vtpd() { return auth_.vtpd(); }
    // Where the plugin keeps its files by default (storage_dir empty).
    std::string storageDir() { return vtpd().dir() + "/data/recordings"; }

    Account student(const std::string& email)
    {
        const auto reg = auth_.post("/api/v1/auth/register",
                                    jsonBody({{"email", email}, {"password", kRecordingPassword}, {"display_name", "Student " + email}}));
        if (reg.status != 201) throw std::runtime_error("register answered " + std::to_string(reg.status) + ": " + reg.body);
        return {jsonString(reg.json(), "id"), email, auth_.login(email, kRecordingPassword).access};
    }

    // An admin or instructor made with vtpctl, as an operator would.
    Account staff(const std::string& email, const std::string& role)
    {
        auth_.createUser(email, kRecordingPassword, role);
        const std::string token = auth_.login(email, kRecordingPassword).access;
        const auto me = vtpd().get("/api/v1/users/me", bearer(token));
        return {jsonString(me.json(), "id"), email, token};
    }

    // Restarts vtpd with http.cors_origins = [origin] (tokens issued before stay valid: the keys
    // are in the database).
    void allowCorsOrigin(const std::string& origin)
    {
        vtpd().stop();
        std::string config = readFile(vtpd().configPath());
        const std::string table = "[http]\n";
        config.replace(config.find(table), table.size(), table + "cors_origins = [\"" + origin + "\"]\n");
        vtpd().rewriteConfig(config);
        if (!vtpd().start()) throw std::runtime_error("vtpd did not restart: " + vtpd().logs());
    }

    // A fresh login of the same account (tokens expire; a restarted vtpd keeps its keys).
    void relogin(Account& a) { a.token = auth_.login(a.email, kRecordingPassword).access; }

    HttpResult call(const std::string& method, const std::string& path, const Account& who, const std::string& body = {},
                    const std::string& contentType = "application/json", std::map<std::string, std::string> headers = {})
    {
        if (!who.token.empty()) headers["Authorization"] = "Bearer " + who.token;
        return auth_.vtpd().request(method, path, body, contentType, headers);
    }

    JsonObject expect(int status, const std::string& method, const std::string& path, const Account& who, const std::string& body = {})
    {
        const auto r = call(method, path, who, body);
        if (r.status != status)
            throw std::runtime_error(method + " " + path + " answered " + std::to_string(r.status) + " (expected " +
                                     std::to_string(status) + "): " + r.body);
        return r.body.empty() ? JsonObject() : r.json();
    }

    // A tus request: Tus-Resumable 1.0.0 unless `headers` says otherwise.
    HttpResult tus(const std::string& method, const std::string& path, const Account& who, std::map<std::string, std::string> headers = {},
                   const std::string& body = {})
    {
        headers.emplace("Tus-Resumable", "1.0.0");
        return call(method, path, who, body, "application/offset+octet-stream", headers);
    }

    // Creates an upload of `length` bytes (or deferred) and returns its path.
    std::string createUpload(const std::string& recordingId, const Account& who, std::optional<uint64_t> length,
                             const std::string& metadata = "source Y2FtZXJh")
    {
        std::map<std::string, std::string> h{{"Upload-Metadata", metadata}};
        if (length)
            h["Upload-Length"] = std::to_string(*length);
        else
            h["Upload-Defer-Length"] = "1";
        const auto r = tus("POST", "/api/v1/recordings/" + recordingId + "/uploads", who, h);
        if (r.status != 201) throw std::runtime_error("tus creation answered " + std::to_string(r.status) + ": " + r.body);
        const std::string location = headerOf(r, "Location");
        if (location.empty()) throw std::runtime_error("tus creation answered no Location");
        return location;
    }

    JsonArray events() { return vtpd().get("/api/v1/testkit/events").json()->getArray("events"); }

    bool waitForEvent(const std::string& name, const std::function<bool(const JsonObject&)>& match,
                      std::chrono::seconds timeout = std::chrono::seconds(10))
    {
        return vtp::test::pollUntil(
            [&] {
                const auto all = events();
                for (size_t i = 0; i < all->size(); ++i) {
                    const auto e = all->getObject(static_cast<unsigned>(i));
                    if (e->getValue<std::string>("name") == name && match(e->getObject("payload"))) return true;
                }
                return false;
            },
            timeout, std::chrono::milliseconds(20));
    }

    static std::string stringify(const JsonObject& o)
    {
        if (!o) return "null";
        std::ostringstream s;
        o->stringify(s);
        return s.str();
    }

private:
    AuthServer auth_;
};

} // namespace vtp::test

#pragma once

// What the recording plugin's end-to-end tests share: a real vtpd with auth, courses, recording
// and testkit (whose events route shows what recording published) on SQLite or PostgreSQL.
// Accounts, calls, sections and events come from tests/support/PluginTestServer.hpp; tus requests,
// the storage directory and a CORS restart are here.

#include "IntegrationSupport.hpp"
#include "PluginTestServer.hpp"

#include <Poco/SHA2Engine.h>

#include <random>

namespace vtp::test {

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

class RecordingServer : public PluginTestServer {
public:
    explicit RecordingServer(Backend backend, const std::string& recordingToml = "")
        : PluginTestServer(backend, {"courses", "recording", "testkit"}, R"("recording.*")", "[plugins.recording]\n" + recordingToml + "\n")
    {
    }
    // With other plugins beside recording (the streaming plugin's tests): `plugins` as listed,
    // testkit's `eventPatterns`, and their TOML.
    RecordingServer(Backend backend, const std::vector<std::string>& plugins, const std::string& eventPatterns, const std::string& toml)
        : PluginTestServer(backend, plugins, eventPatterns, toml)
    {
    }

    // Where the plugin keeps its files by default (storage_dir empty).
    std::string storageDir() { return vtpd().dir() + "/data/recordings"; }

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
};

} // namespace vtp::test

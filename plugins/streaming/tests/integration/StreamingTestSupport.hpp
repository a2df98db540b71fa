#pragma once

// What the streaming plugin's end-to-end tests share: a real vtpd with auth, courses, recording
// (streaming's dependency), streaming and testkit (whose events route shows what streaming
// published) on SQLite or PostgreSQL. Accounts, calls, sections and events come from
// tests/support/PluginTestServer.hpp.

#include "IntegrationSupport.hpp"
#include "PluginTestServer.hpp"
#include "TestLogs.hpp"

namespace vtp::test {

class StreamingServer : public PluginTestServer {
public:
    explicit StreamingServer(Backend backend, const std::string& streamingToml = "")
        : PluginTestServer(backend, {"courses", "recording", "streaming", "testkit"}, R"("stream.*")",
                           "[plugins.streaming]\n" + streamingToml + "\n")
    {
    }

    // Creates a stream and records its key as a secret (no log may show it); returns the stream.
    JsonObject createStream(const Account& who, const std::string& target, const std::string& title)
    {
        const auto stream = expect(201, "POST", "/api/v1/streams", who, "{" + target + R"(,"title":")" + title + "\"}");
        rememberKey(stream);
        return stream;
    }

    // The key (and so the ingest URLs) of a manager's view of a stream, as a secret.
    static void rememberKey(const JsonObject& stream)
    {
        if (stream && stream->has("key")) recordSecret(stream->getValue<std::string>("key"));
    }
};

} // namespace vtp::test

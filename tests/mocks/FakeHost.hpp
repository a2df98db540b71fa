#pragma once

// A fake vtpd for unit tests: a vtp_host_api table that records what a plugin registers and lets
// the test call its routes (streamed bodies and deferred answers too), with an in-memory SQLite
// database behind the db_* entries, and stands in for other nodes on the cluster channels. It plays
// the kernel of any ABI minor: the table's struct_size and abi_minor are those of that minor, so
// the SDK takes the same fallback paths it would on an older vtpd. No kernel library is linked.
//
// Not thread-safe: drive it from the test's thread (the recorded lists are read after the calls).

#include "vtp/abi.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vtp::test {

class FakeHost;

// The host table's struct_size in a kernel of ABI 1.minor: the entries that minor had.
size_t hostApiSizeForMinor(uint16_t minor);
// A route's struct_size as a kernel of ABI 1.minor reads it (the 1.5 fields are past a 1.4 one).
size_t routeSizeForMinor(uint16_t minor);

struct FakeResponse {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string contentType;
    std::string body;
    std::string problemType; // the slug of a response_problem, "" otherwise
    uint64_t deferred = 0;   // the id response_defer handed out (the answer comes later), else 0
    std::optional<std::string> header(const std::string& name) const;
};

// What a test passes to FakeHost::call beyond the method and path.
struct FakeRequest {
    std::string body{};
    std::string contentType{};
    std::optional<std::string> subject{}; // the authenticated user, or none
    std::vector<std::string> roles{};
    std::vector<std::pair<std::string, std::string>> query{};
    std::vector<std::pair<std::string, std::string>> headers{};
};

class FakeHost {
public:
    // minor: the ABI minor this fake kernel plays. configJson: the plugin's [plugins.NAME] table
    // as JSON; keys it leaves out take the defaults the plugin declares (when loaded with load()).
    explicit FakeHost(uint16_t minor = VTP_ABI_MINOR, std::string configJson = "{}");
    ~FakeHost();
    FakeHost(const FakeHost&) = delete;
    FakeHost& operator=(const FakeHost&) = delete;

    const vtp_host_api* api() const { return &api_; }
    vtp_host* handle() { return handle_.get(); }
    uint16_t minor() const { return minor_; }

    // ---- what the plugin did
    struct LogLine {
        int32_t level;
        std::string message;
        std::vector<std::pair<std::string, std::string>> fields;
    };
    struct Route {
        vtp_route route;         // copied at the size this kernel reads, the rest zeroed
        uint32_t writerSize = 0; // the plugin's struct_size
        std::string method, path, role;
    };
    struct Sent {
        uint64_t connection;
        std::string data;
        bool binary;
    };
    const std::vector<LogLine>& logs() const { return logs_; }
    bool logged(const std::string& messagePart) const;
    const std::vector<Route>& routes() const { return routes_; }
    const std::vector<vtp_ws_endpoint>& endpoints() const { return endpoints_; }
    const std::vector<Sent>& sent() const { return sent_; }
    // How often ws_send and ws_send_many were called (to tell the SDK's fallback from the real thing).
    size_t sendCalls() const { return sendCalls_; }
    size_t sendManyCalls() const { return sendManyCalls_; }
    const std::vector<std::pair<std::string, std::string>>& published() const { return published_; }

    // ---- driving it
    // Calls the route that matches (method, path) as the kernel would after routing and
    // authorisation; a path without a route answers 404 without calling the plugin.
    FakeResponse call(const std::string& method, const std::string& path, const FakeRequest& request = {});
    // Offers a service table as another plugin would.
    void offer(const std::string& name, uint32_t version, const void* table);
    // The answer response_complete gave deferred response `id` (FakeResponse::deferred), if it
    // came. A deferred response here never times out. Thread-safe, as response_complete is.
    std::optional<FakeResponse> completed(uint64_t id) const;

    // ---- cluster channels (1.6): this fake is node "fake-node/1"
    struct ClusterMessage {
        std::string channel, data;
    };
    // The other nodes cluster_peers reports; with none (the default) cluster_send answers that there
    // is no other node and records nothing.
    void setClusterPeers(std::vector<std::string> peers);
    const std::vector<ClusterMessage>& clusterSent() const { return clusterSent_; }
    // Delivers a message from `fromNode` to the plugin's matching cluster subscriptions, on this
    // thread; returns how many handlers it reached.
    size_t deliverCluster(const std::string& channel, const std::string& data, const std::string& fromNode);

    // Runs SQL on the fake database (to set up or check what a plugin wrote); rows as text.
    std::vector<std::vector<std::optional<std::string>>> sql(const std::string& statement);

    // ---- running a plugin against it
    // Loads a plugin from its descriptor (vtp::detail::descriptorFor<T>() or a library's
    // vtp_plugin_v1()): applies its migrations to the fake database, merges its config defaults
    // into the config, and calls init. Throws std::runtime_error with the plugin's text if init fails.
    void load(const vtp_plugin_descriptor* descriptor);
    void start();
    // stop() then destroy(), as the kernel does at shutdown; the destructor does it too.
    void unload();

    struct Impl;

private:
    uint16_t minor_;
    std::string configJson_;
    vtp_host_api api_{};
    std::unique_ptr<vtp_host> handle_;
    std::unique_ptr<Impl> impl_;
    std::vector<LogLine> logs_;
    std::vector<Route> routes_;
    std::vector<vtp_ws_endpoint> endpoints_;
    std::vector<Sent> sent_;
    size_t sendCalls_ = 0, sendManyCalls_ = 0;
    std::vector<std::pair<std::string, std::string>> published_;
    std::vector<ClusterMessage> clusterSent_;
    const vtp_plugin_descriptor* plugin_ = nullptr;
    void* pluginState_ = nullptr;
    bool started_ = false;

    friend struct FakeHostAccess;
};

} // namespace vtp::test

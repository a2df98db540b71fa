#pragma once

#include "db/Database.hpp"
#include "events/EventBus.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace vtp::kernel {

class Logger;

// Bad input from an operator (URL, patterns, secret); the text says which rule it broke.
class WebhookError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

struct WebhookSettings {
    int64_t maxAttempts = 8;
    std::chrono::seconds initialBackoff{10};
    std::chrono::seconds maxBackoff{3600};
    std::chrono::seconds timeout{10};
    int workers = 2;
};

struct WebhookEndpoint {
    std::string id, url;
    std::vector<std::string> events; // patterns
    std::string secret;              // only filled when created (shown once)
    int64_t createdAt = 0;           // epoch ms
    // Listing only:
    int64_t pending = 0, delivered = 0, failed = 0;
    std::optional<int64_t> lastStatus; // HTTP status of the latest attempt (none: no response)
    std::string lastError;
    int64_t lastAttempts = 0; // attempts of the latest attempted delivery
    std::optional<int64_t> lastAttemptAt;
};

struct WebhookDelivery {
    std::string id, endpointId, event, status; // status: pending, delivered, failed
    int64_t attempts = 0;
    std::optional<int64_t> lastStatus;
    std::string lastError;
    int64_t nextAttemptAt = 0, createdAt = 0, updatedAt = 0; // epoch ms
};

// Webhooks: HTTP endpoints subscribed to event patterns, and their delivery.
//
// A subscription on "*" turns each event published on this node into one outbox row per
// matching endpoint, in one transaction (events from other nodes are left to the node that
// published them, so that a cluster delivers each event once). Worker threads send due rows,
// signed (see WebhookSignature.hpp), and retry failures with exponential backoff up to
// maxAttempts; the outbox is in the database, so a restart loses no pending delivery. A row is
// claimed (locked_until) before it is sent, so several workers or nodes never send it twice at
// once.
class WebhookService {
public:
    WebhookService(Database& db, EventBus& bus, WebhookSettings settings, Logger& log);
    ~WebhookService();
    WebhookService(const WebhookService&) = delete;
    WebhookService& operator=(const WebhookService&) = delete;

    void start();
    // Lets sends in progress finish (each bounded by the timeout), then joins. Idempotent.
    void stop();

    // Throws WebhookError. An empty secret is replaced by a generated one (returned once here).
    WebhookEndpoint create(const std::string& url, const std::vector<std::string>& events, std::string secret);
    // Endpoints oldest first, with delivery counts and the latest attempt.
    std::vector<WebhookEndpoint> list(size_t limit, size_t offset);
    std::optional<WebhookEndpoint> find(const std::string& id);
    // False if there was no such endpoint. Its deliveries go with it.
    bool remove(const std::string& id);
    // Newest first; status filter may be empty.
    std::vector<WebhookDelivery> deliveries(const std::string& endpointId, const std::string& status, size_t limit, size_t offset);

    // Throws WebhookError unless the URL is absolute http(s) with a host.
    static void validateUrl(const std::string& url);

private:
    void onEvent(const Event& event);
    void workerLoop();
    // Sends what is due; true if it sent anything.
    bool deliverDue();
    struct Attempt {
        std::optional<int64_t> status;
        std::string error;
    };
    Attempt send(const std::string& url, const std::string& secret, const std::string& deliveryId, const std::string& event,
                 const std::string& body);
    void completeList(WebhookEndpoint& e);
    struct EndpointPatterns {
        std::string id;
        std::vector<std::string> patterns;
    };
    // Every endpoint's event patterns, from a cache read again after a local change or when older
    // than a second (another node's change). Each published event is matched against them: a
    // query per event was most of what publishing cost (every chat message publishes one).
    std::shared_ptr<const std::vector<EndpointPatterns>> endpointPatterns();
    void forgetEndpointPatterns();

    Database& db_;
    EventBus& bus_;
    WebhookSettings settings_;
    Logger& log_;
    uint64_t subscription_ = 0;

    std::mutex patternsMutex_; // held while the cache is read from the database
    std::shared_ptr<const std::vector<EndpointPatterns>> patterns_;
    std::chrono::steady_clock::time_point patternsReadAt_{};

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    bool started_ = false;
    std::vector<std::thread> workers_;
};

} // namespace vtp::kernel

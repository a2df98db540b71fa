#pragma once

#include "http/HttpPipeline.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace vtp::kernel {

class Logger;
class DeferredResponses;

struct HttpServerSettings {
    std::string host = "127.0.0.1";
    uint16_t port = 0;
    int threads = 4;                           // workers taking turns on the network
    int maxThreads = 128;                      // workers at once, stand-ins for slow handlers included
    size_t maxConnections = 10000;             // open connections; more are closed at once
    std::chrono::seconds requestTimeout{30};   // socket read/write timeout; also the wait for a new connection's first request
    std::chrono::seconds keepAliveTimeout{10}; // idle time between requests on one connection
    int maxKeepAliveRequests = 1000;
};

// Observes each finished request (metrics, access logs).
struct RequestObserver {
    virtual ~RequestObserver() = default;
    virtual void onRequest(const IncomingRequest& req, const std::string& routePattern, int status, double seconds) = 0;
};

// HTTP/1.1 with Poco's request parsing and our own connection handling: one epoll set holds
// every connection that waits for its next request, and a few worker threads take whichever
// becomes readable (a slow handler's worker is stood in for). Threads bound the requests being
// handled, not the connections kept alive. Even a malformed head gets a problem+json answer.
class HttpServer {
public:
    HttpServer(HttpServerSettings settings, HttpPipeline& pipeline, Logger& log);
    ~HttpServer();

    void start(); // binds; throws on failure
    uint16_t port() const { return port_; }
    // Stops accepting, lets in-flight requests finish until `deadline`, then closes idle
    // keep-alive connections. Returns true if everything drained in time.
    bool drain(std::chrono::milliseconds deadline);
    size_t inFlight() const { return inFlight_.load(); }
    size_t connections() const;
    // Set before start(); called on the handling thread after each response.
    void setObserver(RequestObserver* observer);
    // Where handlers' deferred answers go (ABI 1.6 response_complete); thread-safe.
    DeferredResponses& deferrals();

    // Used by the connection objects.
    struct Shared;

private:
    HttpServerSettings settings_;
    std::shared_ptr<Shared> shared_;
    std::thread sweeper_;
    uint16_t port_ = 0;
    bool started_ = false;
    std::atomic<size_t>& inFlight_;
};

} // namespace vtp::kernel

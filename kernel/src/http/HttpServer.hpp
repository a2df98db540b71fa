#pragma once

#include "http/HttpPipeline.hpp"

#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace vtp::kernel {

class Logger;

struct HttpServerSettings {
    std::string host = "127.0.0.1";
    uint16_t port = 0;
    int threads = 32;                            // connections served at once
    int maxQueued = 256;                         // accepted connections waiting for a thread
    std::chrono::seconds requestTimeout{30};     // socket read/write timeout
    std::chrono::seconds keepAliveTimeout{10};   // idle time between requests on one connection
    int maxKeepAliveRequests = 1000;
};

// Observes each finished request (metrics, access logs).
struct RequestObserver {
    virtual ~RequestObserver() = default;
    virtual void onRequest(const IncomingRequest& req, const std::string& routePattern, int status, double seconds) = 0;
};

// HTTP/1.1 on Poco's TCPServer with our own connection loop (Poco's HTTPServerSession and
// request parsing), so that even a malformed head gets a problem+json answer, not a bare 400.
class HttpServer {
public:
    HttpServer(HttpServerSettings settings, HttpPipeline& pipeline, Logger& log);
    ~HttpServer();

    void start();                 // binds; throws on failure
    uint16_t port() const;
    // Stops accepting, lets in-flight requests finish until `deadline`, then closes idle
    // keep-alive connections. Returns true if everything drained in time.
    bool drain(std::chrono::milliseconds deadline);
    size_t inFlight() const { return inFlight_.load(); }
    // Set before start(); called on the connection's thread after each response.
    void setObserver(RequestObserver* observer);

    // Used by the connection objects.
    struct Shared;

private:
    HttpServerSettings settings_;
    std::shared_ptr<Shared> shared_;
    std::unique_ptr<Poco::ThreadPool> pool_;
    std::unique_ptr<Poco::Net::TCPServer> server_;
    std::atomic<size_t>& inFlight_;
};

} // namespace vtp::kernel

#pragma once

#include "http/HttpServer.hpp"
#include "metrics/MetricsRegistry.hpp"

#include <vector>

namespace vtp::kernel {

// Counts finished requests and their latency:
//   vtp_http_requests_total{route,method,status}
//   vtp_http_request_duration_seconds{route,method} (histogram)
// `route` is the matched pattern ("/api/v1/hello/{name}"), or "unmatched": raw paths would
// give every scanner's probe its own series. Methods outside the HTTP set become "other".
class HttpMetrics : public RequestObserver {
public:
    explicit HttpMetrics(MetricsRegistry& registry);
    void onRequest(const IncomingRequest& req, const std::string& routePattern, int status, double seconds) override;

private:
    MetricFamily& requests_;
    MetricFamily& duration_;
};

// Hands each finished request to several observers in order (metrics, then the access log).
class RequestObservers : public RequestObserver {
public:
    void add(RequestObserver* observer) { observers_.push_back(observer); }
    void onRequest(const IncomingRequest& req, const std::string& routePattern, int status, double seconds) override;

private:
    std::vector<RequestObserver*> observers_;
};

} // namespace vtp::kernel

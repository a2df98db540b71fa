#include "metrics/HttpMetrics.hpp"

#include <array>

namespace vtp::kernel {

namespace {

std::string_view methodLabel(std::string_view method)
{
    static constexpr std::array<std::string_view, 9> kKnown = {"GET",    "HEAD",    "POST",  "PUT",    "PATCH",
                                                               "DELETE", "OPTIONS", "TRACE", "CONNECT"};
    for (auto m : kKnown)
        if (m == method) return m;
    return "other";
}

} // namespace

HttpMetrics::HttpMetrics(MetricsRegistry& registry)
    : requests_(
          registry.add("vtp_http_requests_total", "HTTP requests answered, by route pattern, method and status.", MetricType::Counter)),
      duration_(registry.add("vtp_http_request_duration_seconds",
                             "Time from the request head to the end of the response, by route pattern and method.", MetricType::Histogram,
                             MetricsRegistry::defaultBuckets()))
{
}

void HttpMetrics::onRequest(const IncomingRequest& req, const std::string& routePattern, int status, double seconds)
{
    const std::string route = routePattern.empty() ? std::string("unmatched") : routePattern;
    const std::string method(methodLabel(req.method));
    if (auto* s = requests_.series({{"route", route}, {"method", method}, {"status", std::to_string(status)}})) s->inc();
    if (auto* h = duration_.histogram({{"route", route}, {"method", method}})) h->observe(seconds);
}

void RequestObservers::onRequest(const IncomingRequest& req, const std::string& routePattern, int status, double seconds)
{
    for (auto* o : observers_) o->onRequest(req, routePattern, status, seconds);
}

} // namespace vtp::kernel

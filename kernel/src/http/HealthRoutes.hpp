#pragma once

#include "vtp/abi.h"

#include <functional>
#include <string>
#include <vector>

namespace vtp::kernel {

class KernelRoutes;

// What GET /ready reports, gathered afresh for each call.
struct ReadyReport {
    struct Plugin {
        std::string name, state, version; // state "running", "refused", ...
        std::string refusal, reason;      // when refused
    };
    bool databaseReachable = false;
    std::string databaseBackend; // "sqlite" or "postgresql"
    std::vector<Plugin> plugins;
    std::string node;  // this node's id
    std::string redis; // the Redis bridge's state, "off" without redis.url
};

// The kernel's liveness and readiness routes, GET /health and GET /ready (503 when the database
// is unreachable). `report` runs on an HTTP worker at each /ready; it must be thread-safe.
class HealthRoutes {
public:
    explicit HealthRoutes(std::function<ReadyReport()> report) : report_(std::move(report)) {}
    HealthRoutes(const HealthRoutes&) = delete;
    HealthRoutes& operator=(const HealthRoutes&) = delete;

    // Adds both routes; this object must outlive the router's use of them.
    void addTo(KernelRoutes& routes);

private:
    static int health(void* self, const vtp_request* request, vtp_response* response);
    static int ready(void* self, const vtp_request* request, vtp_response* response);

    std::function<ReadyReport()> report_;
};

} // namespace vtp::kernel

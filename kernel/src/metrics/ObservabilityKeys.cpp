#include "metrics/ObservabilityKeys.hpp"

#include "config/KeySpecs.hpp"

namespace vtp::kernel {

void addObservabilityKeys(ConfigSchema& schema)
{
    using T = ValueType;
    schema.add(
        keySpec("log.components", T::StringArray, std::vector<std::string>{},
                "Per-component levels, each NAME=LEVEL (\"hello=debug\"): NAME is a plugin or a kernel component "
                "(config, db, events, http, jobs, kernel, loader, metrics, openapi, webhooks, ws, ws.lws); LEVEL as log.level, or off. "
                "Changeable at runtime: PUT /api/v1/admin/log-levels/NAME"));
    schema.add(keySpec("metrics.enabled", T::Boolean, true, "Serve GET /metrics (Prometheus text format)"));
    schema.add(keySpec("metrics.require_admin", T::Boolean, false,
                       "GET /metrics needs a token with the role admin (otherwise it is public: keep it off the public reverse proxy)"));
}

} // namespace vtp::kernel

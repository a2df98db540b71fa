#include "metrics/MetricsKeys.hpp"

#include "config/KeySpecs.hpp"

namespace vtp::kernel {

void addMetricsKeys(ConfigSchema& schema)
{
    using T = ValueType;
    schema.add(keySpec("metrics.enabled", T::Boolean, true, "Serve GET /metrics (Prometheus text format)"));
    schema.add(keySpec("metrics.require_admin", T::Boolean, false,
                       "GET /metrics needs a token with the role admin (otherwise it is public: keep it off the public reverse proxy)"));
}

} // namespace vtp::kernel

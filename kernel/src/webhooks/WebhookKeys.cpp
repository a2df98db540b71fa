#include "webhooks/WebhookKeys.hpp"

#include "config/KeySpecs.hpp"

namespace vtp::kernel {

void addWebhookKeys(ConfigSchema& schema)
{
    using T = ValueType;
    schema.add(ranged(keySpec("webhooks.max_attempts", T::Integer, int64_t{8}, "Attempts of a webhook delivery before it is marked failed"),
                      1, 100));
    schema.add(ranged(keySpec("webhooks.initial_backoff_seconds", T::Integer, int64_t{10},
                              "Wait before the first retry of a failed delivery; doubles after each failure"),
                      1, 86400));
    schema.add(
        ranged(keySpec("webhooks.max_backoff_seconds", T::Integer, int64_t{3600}, "Longest wait between delivery attempts"), 1, 604800));
    schema.add(ranged(
        keySpec("webhooks.timeout_seconds", T::Integer, int64_t{10}, "Connect, send and receive timeout of one delivery attempt"), 1, 300));
    schema.add(
        ranged(keySpec("webhooks.workers", T::Integer, int64_t{2}, "Deliveries sent at once by this node (one thread each)"), 1, 32));
}

} // namespace vtp::kernel

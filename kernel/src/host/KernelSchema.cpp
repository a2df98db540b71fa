#include "host/KernelSchema.hpp"

#include "config/KeySpecs.hpp"
#include "db/DatabaseKeys.hpp"
#include "events/EventKeys.hpp"
#include "http/HttpKeys.hpp"
#include "jobs/JobKeys.hpp"
#include "log/LogKeys.hpp"
#include "metrics/MetricsKeys.hpp"
#include "webhooks/WebhookKeys.hpp"
#include "ws/WsKeys.hpp"

#ifndef VTP_DEFAULT_PLUGIN_DIR
#define VTP_DEFAULT_PLUGIN_DIR "/usr/lib/vtp/plugins"
#endif

namespace vtp::kernel {

ConfigSchema kernelSchema()
{
    using T = ValueType;
    ConfigSchema schema;
    // The order is the reference's (docs/operators.md, config/vtpd.toml): each concern's keys
    // where they have always been listed.
    addHttpKeys(schema);
    addWebSocketKeys(schema);
    schema.add(
        keySpec("storage.data_dir", T::String, std::string("/var/lib/vtp"),
                "Directory for the SQLite database, keys and plugin files (relative: to this file's directory); created if missing"));
    addDatabaseKeys(schema);
    schema.add(keySpec("redis.url", T::String, std::string(""),
                       "redis://[:password@]host:port shared by several nodes (events, live rooms, revocations); empty: a single node"));
    schema.add(
        keySpec("node.id", T::String, std::string(""),
                "This node's name in a multi-node deployment (jobs claimed, events' origin); empty: the host name. Give each vtpd on one "
                "host its own"));
    schema.add(keySpec("plugins.dir", T::String, std::string(VTP_DEFAULT_PLUGIN_DIR),
                       "Directory holding NAME.so plugin files (relative: to this file's directory)"));
    schema.add(keySpec("plugins.enabled", T::StringArray, std::vector<std::string>{},
                       "Plugins to load, by name; each may have a [plugins.NAME] table"));
    addLogKeys(schema);
    addJobKeys(schema);
    addLogComponentKeys(schema);
    addMetricsKeys(schema);
    addEventKeys(schema);
    addWebhookKeys(schema);
    schema.add(ranged(
        keySpec("shutdown.drain_timeout_seconds", T::Integer, int64_t{20}, "On SIGTERM, how long in-flight requests may finish"), 0, 3600));
    return schema;
}

} // namespace vtp::kernel

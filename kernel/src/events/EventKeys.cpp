#include "events/EventKeys.hpp"

#include "config/KeySpecs.hpp"

namespace vtp::kernel {

void addEventKeys(ConfigSchema& schema)
{
    using T = ValueType;
    schema.add(ranged(keySpec("events.queue_capacity", T::Integer, int64_t{10000},
                              "Events waiting per subscription (and for Redis); beyond, new events are dropped for that subscriber"),
                      1, 10000000));
    schema.add(ranged(
        keySpec("events.max_payload_bytes", T::Integer, int64_t{65536}, "Largest event payload (a JSON object) a plugin may publish"), 2,
        int64_t{16} << 20));
    schema.add(keySpec(
        "events.redis_channel", T::String, std::string("vtp:events"),
        "Redis pub/sub channel the nodes share events on (with redis.url), and the prefix of their cluster channels (NAME:cluster:*) "
        "and node set (NAME:cluster-nodes); another deployment on the same Redis needs its own"));
    schema.add(ranged(keySpec("cluster.heartbeat_seconds", T::Integer, int64_t{2},
                              "With redis.url: how often a node renews its presence in Redis and reads which other nodes are there"),
                      1, 60));
    schema.add(
        ranged(keySpec("cluster.node_timeout_seconds", T::Integer, int64_t{10},
                       "With redis.url: a node that has not renewed its presence for this long is gone (its live-room participants leave); "
                       "at least twice cluster.heartbeat_seconds"),
               2, 600));
}

} // namespace vtp::kernel

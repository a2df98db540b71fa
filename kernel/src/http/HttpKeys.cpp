#include "http/HttpKeys.hpp"

#include "config/KeySpecs.hpp"

namespace vtp::kernel {

void addHttpKeys(ConfigSchema& schema)
{
    using T = ValueType;
    schema.add(
        keySpec("http.listen", T::String, std::string("127.0.0.1:8080"), "Address of the HTTP API, host:port (port 0: any free port)"));
    schema.add(ranged(
        keySpec("http.threads", T::Integer, int64_t{0}, "Threads that take requests from the network and serve them (0: two per core)"), 0,
        256));
    schema.add(
        ranged(keySpec("http.max_threads", T::Integer, int64_t{128},
                       "Most threads serving requests at once: a handler still running after 10 ms gets a stand-in, up to this many"),
               1, 4096));
    schema.add(ranged(keySpec("http.max_connections", T::Integer, int64_t{10000},
                              "Open connections, idle keep-alive ones included; more are closed at once"),
                      1, 1000000));
    schema.add(ranged(keySpec("http.max_body_bytes", T::Integer, int64_t{1} << 20, "Default largest request body; a route may set its own"),
                      0, int64_t{1} << 32));
    schema.add(
        keySpec("http.trusted_proxies", T::StringArray, std::vector<std::string>{},
                "Reverse proxies (addresses or CIDR blocks) whose X-Forwarded-For names the client; empty: the peer is the client. "
                "Set it behind a reverse proxy, or every client looks like the proxy to per-address limits (login throttling) and logs"));
    schema.add(ranged(keySpec("http.hsts_max_age_seconds", T::Integer, int64_t{31536000},
                              "Strict-Transport-Security max-age sent on responses to requests that came over HTTPS. vtpd speaks plain "
                              "HTTP itself, so that is a request from a proxy in http.trusted_proxies that says X-Forwarded-Proto: https "
                              "(the nginx example sets it); other requests never get the header, which a browser ignores over plain "
                              "HTTP anyway. A year by default; 0: never sent. It covers the host's every port, the socket port included"),
                      0, 63072000));
    schema.add(keySpec("http.cors_origins", T::StringArray, std::vector<std::string>{},
                       "Origins (scheme://host[:port], e.g. \"https://vtp.example.edu\") whose pages may call the routes that enable CORS "
                       "without naming origins of their own; empty: such routes answer no other origin. Routes that name their origins, "
                       "or allow any (\"*\"), are not affected"));
    schema.add(ranged(keySpec("http.max_header_bytes", T::Integer, int64_t{16384},
                              "Largest request line plus headers: a longer request line is answered 414, a larger head 431"),
                      1024, int64_t{1} << 20));
    schema.add(ranged(keySpec("http.request_timeout_seconds", T::Integer, int64_t{30}, "Socket read and write timeout within a request"), 1,
                      3600));
    schema.add(
        ranged(keySpec("http.keepalive_timeout_seconds", T::Integer, int64_t{10}, "Idle time allowed between requests on one connection"),
               1, 3600));
    schema.add(
        ranged(keySpec("http.max_keepalive_requests", T::Integer, int64_t{1000}, "Requests served on one connection before it is closed"),
               1, 1000000));
}

} // namespace vtp::kernel

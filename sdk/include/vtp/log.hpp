#pragma once

#include "vtp/detail.hpp"

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vtp {

// Structured logging into the kernel's log, tagged with the plugin's name. Thread-safe.
// Never pass passwords, tokens or other secrets, in the message or in fields.
class Log {
public:
    using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;

    explicit Log(detail::HostRef ref) : ref_(ref) {}

    void trace(std::string_view m, Fields f = {}) const { write(VTP_LOG_TRACE, m, f); }
    void debug(std::string_view m, Fields f = {}) const { write(VTP_LOG_DEBUG, m, f); }
    void info(std::string_view m, Fields f = {}) const { write(VTP_LOG_INFO, m, f); }
    void warn(std::string_view m, Fields f = {}) const { write(VTP_LOG_WARN, m, f); }
    void error(std::string_view m, Fields f = {}) const { write(VTP_LOG_ERROR, m, f); }
    bool enabled(vtp_log_level level) const { return ref_.api->log_enabled(ref_.host, level) != 0; }

private:
    void write(vtp_log_level level, std::string_view message, Fields fields) const
    {
        if (!enabled(level)) return;
        std::vector<std::string> storage;
        storage.reserve(fields.size() * 2);
        std::vector<vtp_kv> kvs;
        kvs.reserve(fields.size());
        for (const auto& [k, v] : fields) {
            storage.emplace_back(k);
            storage.emplace_back(v);
        }
        for (size_t i = 0; i < storage.size(); i += 2) kvs.push_back({storage[i].c_str(), storage[i + 1].c_str()});
        ref_.api->log(ref_.host, level, message.data(), message.size(), kvs.data(), kvs.size());
    }

    detail::HostRef ref_;
};

} // namespace vtp

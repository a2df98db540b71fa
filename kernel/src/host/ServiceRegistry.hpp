#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace vtp::kernel {

// The service tables plugins offer each other (host API service_offer/service_find), by name and
// version. Thread-safe: a plugin may look a service up from any thread. The tables are the
// offering plugin's; they are dropped with removeOwner when it is refused.
class ServiceRegistry {
public:
    void offer(const std::string& owner, const std::string& name, uint32_t version, const void* table);
    bool offered(const std::string& name, uint32_t version) const;
    // The highest version >= minVersion of `name`, or null; *version (may be null) gets its
    // version, 0 when there is none.
    const void* find(const std::string& name, uint32_t minVersion, uint32_t* version) const;
    void removeOwner(const std::string& owner);

private:
    struct Service {
        std::string owner;
        std::string name;
        uint32_t version;
        const void* table;
    };
    mutable std::mutex mutex_;
    std::vector<Service> services_;
};

} // namespace vtp::kernel

#include "host/ServiceRegistry.hpp"

#include <algorithm>

namespace vtp::kernel {

void ServiceRegistry::offer(const std::string& owner, const std::string& name, uint32_t version, const void* table)
{
    std::lock_guard lock(mutex_);
    services_.push_back({owner, name, version, table});
}

bool ServiceRegistry::offered(const std::string& name, uint32_t version) const
{
    std::lock_guard lock(mutex_);
    return std::any_of(services_.begin(), services_.end(), [&](const Service& s) { return s.name == name && s.version == version; });
}

const void* ServiceRegistry::find(const std::string& name, uint32_t minVersion, uint32_t* version) const
{
    std::lock_guard lock(mutex_);
    const Service* best = nullptr;
    for (const auto& s : services_)
        if (s.name == name && s.version >= minVersion && (!best || s.version > best->version)) best = &s;
    if (version) *version = best ? best->version : 0;
    return best ? best->table : nullptr;
}

void ServiceRegistry::removeOwner(const std::string& owner)
{
    std::lock_guard lock(mutex_);
    std::erase_if(services_, [&](const Service& s) { return s.owner == owner; });
}

} // namespace vtp::kernel

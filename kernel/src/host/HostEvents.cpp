#include "host/HostApi.hpp"
#include "host/HostGuard.hpp"

#include "events/EventBus.hpp"
#include "host/Kernel.hpp"

#include <cstring>
#include <new>

// The host table's event entries: thin adapters from the C ABI to the kernel's EventBus.
namespace vtp::kernel {

namespace {

int publish(vtp_host* h, const char* name, const char* payload, size_t len, vtp_errbuf err) noexcept
{
    return guarded(err, [&] {
        if (!name || (!payload && len > 0)) {
            copyError(err, "name and payload are required");
            return static_cast<int>(VTP_INVALID);
        }
        const auto r = h->kernel->events().publish(name, std::string_view(payload ? payload : "", len));
        if (r.dropped > 0) {
            copyError(err, "the queue of " + std::to_string(r.dropped) + " of " + std::to_string(r.subscribers) +
                               " subscribers was full: dropped for them");
            return static_cast<int>(VTP_CONFLICT);
        }
        return static_cast<int>(VTP_OK);
    });
}

int subscribe(vtp_host* h, const char* pattern, vtp_event_handler handler, void* userData, vtp_errbuf err) noexcept
{
    return guarded(err, [&] {
        if (!pattern || !handler) {
            copyError(err, "pattern and handler are required");
            return static_cast<int>(VTP_INVALID);
        }
        // The handler is plugin code: a C function that must not throw, called with C strings.
        h->kernel->events().subscribe(h->name, pattern, [handler, userData](const Event& e) {
            handler(userData, e.name.c_str(), e.payload.data(), e.payload.size(), e.origin.c_str());
        });
        return static_cast<int>(VTP_OK);
    });
}

} // namespace

void fillEventsApi(vtp_host_api& a)
{
    a.event_publish = publish;
    a.event_subscribe = subscribe;
}

} // namespace vtp::kernel

#include "host/HostApi.hpp"

#include <cstdio>

// PLACEHOLDER while the event bus subsystem is being built: every entry answers VTP_UNSUPPORTED.
namespace vtp::kernel {

namespace {

int publish(vtp_host*, const char*, const char*, size_t, vtp_errbuf err) { std::snprintf(err.data, err.cap, "not available yet"); return VTP_UNSUPPORTED; }
int subscribe(vtp_host*, const char*, vtp_event_handler, void*, vtp_errbuf err) { std::snprintf(err.data, err.cap, "not available yet"); return VTP_UNSUPPORTED; }

} // namespace

void fillEventsApi(vtp_host_api& a)
{
    a.event_publish = publish;
    a.event_subscribe = subscribe;
}

} // namespace vtp::kernel

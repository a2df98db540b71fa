#include "host/HostApi.hpp"

#include <cstdio>

// PLACEHOLDER while the metrics subsystem is being built: every entry answers VTP_UNSUPPORTED.
namespace vtp::kernel {

namespace {

int64_t add(vtp_host*, const char*, const char*, vtp_metric_type, vtp_errbuf err) { std::snprintf(err.data, err.cap, "not available yet"); return -1; }
void set(vtp_host*, int64_t, const vtp_kv*, size_t, double) {}
void inc(vtp_host*, int64_t, const vtp_kv*, size_t, double) {}

} // namespace

void fillMetricsApi(vtp_host_api& a)
{
    a.metric_add = add;
    a.metric_set = set;
    a.metric_inc = inc;
}

} // namespace vtp::kernel

#include "host/HostApi.hpp"

#include <cstdio>

// PLACEHOLDER while the jobs subsystem is being built: every entry answers VTP_UNSUPPORTED.
namespace vtp::kernel {

namespace {

int kindAdd(vtp_host*, const vtp_job_kind*, vtp_errbuf err) { std::snprintf(err.data, err.cap, "not available yet"); return VTP_UNSUPPORTED; }
int submit(vtp_host*, const char*, const char*, size_t, const char*, char*, size_t, vtp_errbuf err) { std::snprintf(err.data, err.cap, "not available yet"); return VTP_UNSUPPORTED; }
void progress(vtp_job*, double, const char*) {}
int cancelled(vtp_job*) { return 0; }
void result(vtp_job*, const char*, size_t) {}

} // namespace

void fillJobsApi(vtp_host_api& a)
{
    a.job_kind_add = kindAdd;
    a.job_submit = submit;
    a.job_progress = progress;
    a.job_cancelled = cancelled;
    a.job_result = result;
}

} // namespace vtp::kernel

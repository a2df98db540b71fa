#include "host/HostApi.hpp"
#include "host/HostGuard.hpp"

#include "host/Kernel.hpp"
#include "loader/AbiCopy.hpp"
#include "jobs/JobPool.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace vtp::kernel {

namespace {

int kindAdd(vtp_host* h, const vtp_job_kind* in, vtp_errbuf err) noexcept
{
    return guarded(err, [&] {
        // Read at the plugin's size: a later kernel's fields stay 0 for an older plugin.
        const vtp_job_kind copy = in ? copyBySize(in) : vtp_job_kind{};
        const vtp_job_kind* k = &copy;
        if (!in || !VTP_HAS_FIELD(vtp_job_kind, user_data, copy.struct_size) || !k->kind || !k->run) {
            copyError(err, "job kind is missing its name or runner");
            return static_cast<int>(VTP_INVALID);
        }
        JobKindSpec spec;
        spec.kind = k->kind;
        spec.plugin = h->name;
        spec.summary = k->summary ? k->summary : "";
        spec.maxAttempts = k->max_attempts;
        spec.run = k->run;
        spec.userData = k->user_data;
        spec.longRunning = (k->flags & VTP_JOB_LONG_RUNNING) != 0; // 0 from a plugin before the field
        h->kernel->jobs().addKind(std::move(spec));
        return static_cast<int>(VTP_OK);
    });
}

int submit(vtp_host* h, const char* kind, const char* params, size_t len, const char* owner, char* idOut, size_t idCap,
           vtp_errbuf err) noexcept
{
    return guarded(err, [&] {
        constexpr size_t kIdBytes = 37; // a UUID and its NUL
        if (!kind || !idOut || idCap < kIdBytes) {
            copyError(err, "kind and an id buffer of at least 37 bytes are required");
            return static_cast<int>(VTP_INVALID);
        }
        const std::string id =
            h->kernel->jobs().submit(kind, params ? std::string_view(params, len) : std::string_view(), owner ? owner : "");
        std::memcpy(idOut, id.c_str(), std::min(id.size() + 1, idCap));
        return static_cast<int>(VTP_OK);
    });
}

void progress(vtp_job* job, double fraction, const char* message) noexcept
{
    try {
        if (job && job->pool && job->live) job->pool->reportProgress(*job->live, fraction, message);
    } catch (...) {
    }
}

int cancelled(vtp_job* job) noexcept
{
    return job && job->live && (job->live->cancel.load() || job->live->interrupted.load()) ? 1 : 0;
}

int interrupted(vtp_job* job) noexcept
{
    return job && job->live && job->live->interrupted.load() ? 1 : 0;
}

void result(vtp_job* job, const char* json, size_t len) noexcept
{
    try {
        if (job && job->pool && job->live) job->pool->reportResult(*job->live, json, len);
    } catch (...) {
    }
}

} // namespace

void fillJobsApi(vtp_host_api& a)
{
    a.job_kind_add = kindAdd;
    a.job_submit = submit;
    a.job_progress = progress;
    a.job_cancelled = cancelled;
    a.job_result = result;
    a.job_interrupted = interrupted;
}

} // namespace vtp::kernel

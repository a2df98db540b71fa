#include "host/HostGuard.hpp"

#include "db/Database.hpp"
#include "events/EventBus.hpp"
#include "jobs/JobPool.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <new>

namespace vtp::kernel {

void copyError(vtp_errbuf err, std::string_view text) noexcept
{
    if (!err.data || err.cap == 0) return;
    const size_t n = std::min(text.size(), err.cap - 1);
    std::memcpy(err.data, text.data(), n);
    err.data[n] = '\0';
}

int statusOfCurrentException(vtp_errbuf err) noexcept
{
    try {
        throw;
    } catch (const std::bad_alloc&) {
        copyError(err, "out of memory");
        return VTP_NO_MEMORY;
    } catch (const DbError& e) {
        copyError(err, e.what());
        return e.constraintViolation() ? VTP_CONFLICT : VTP_ERROR;
    } catch (const JobError& e) {
        copyError(err, e.what());
        switch (e.code()) {
        case JobError::Code::Invalid: return VTP_INVALID;
        case JobError::Code::NotFound: return VTP_NOT_FOUND;
        case JobError::Code::Conflict: return VTP_CONFLICT;
        case JobError::Code::Unavailable: return VTP_ERROR;
        }
        return VTP_ERROR;
    } catch (const EventError& e) {
        copyError(err, e.what());
        return VTP_INVALID;
    } catch (const std::exception& e) {
        copyError(err, e.what());
        return VTP_ERROR;
    } catch (...) {
        copyError(err, "unknown error");
        return VTP_ERROR;
    }
}

} // namespace vtp::kernel

#include "jobs/JobTypes.hpp"

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <algorithm>

namespace vtp::kernel {

const std::vector<std::string>& jobStates()
{
    static const std::vector<std::string> states{JobState::Queued,    JobState::Running, JobState::Retrying,
                                                 JobState::Succeeded, JobState::Failed,  JobState::Cancelled};
    return states;
}

bool isJobState(std::string_view state)
{
    const auto& s = jobStates();
    return std::find(s.begin(), s.end(), state) != s.end();
}

bool isFinalJobState(std::string_view state)
{
    return state == JobState::Succeeded || state == JobState::Failed || state == JobState::Cancelled;
}

int64_t epochMillisNow()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string isoMillis(int64_t epochMillis)
{
    return Poco::DateTimeFormatter::format(Poco::Timestamp(epochMillis * 1000), "%Y-%m-%dT%H:%M:%S.%iZ");
}

} // namespace vtp::kernel

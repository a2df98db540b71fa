#pragma once

#include "jobs/JobTypes.hpp"

#include "vtp/abi.h"

#include <memory>
#include <string>
#include <vector>

namespace vtp::kernel {

class JobPool;
class KernelRoutes;

// The kernel's job API, owner "kernel", role "authenticated":
//   GET  /api/v1/jobs/{id}         the job, to its owner or an admin (404 to anyone else)
//   GET  /api/v1/jobs              ?state=&kind=&owner=(admin)&limit=&cursor=, newest first
//   POST /api/v1/jobs/{id}/cancel  202 with the job; 409 if it already succeeded or failed
void addJobRoutes(KernelRoutes& routes, JobPool& pool);

// The job as the API shows it (a JSON object).
std::string jobJson(const JobRecord& job);

} // namespace vtp::kernel

#pragma once

#include "jobs/JobTypes.hpp"

#include "vtp/abi.h"

#include <memory>
#include <string>
#include <vector>

namespace vtp::kernel {

class JobPool;
class Router;

// The kernel's job API, owner "kernel", role "authenticated":
//   GET  /api/v1/jobs/{id}         the job, to its owner or an admin (404 to anyone else)
//   GET  /api/v1/jobs              ?state=&kind=&owner=(admin)&limit=&cursor=, newest first
//   POST /api/v1/jobs/{id}/cancel  202 with the job; 409 if it already succeeded or failed
// `keep` owns the route targets; it must outlive the router's use of them.
void addJobRoutes(Router& router, JobPool& pool, std::vector<std::unique_ptr<vtp_route>>& keep);

// The job as the API shows it (a JSON object).
std::string jobJson(const JobRecord& job);

} // namespace vtp::kernel

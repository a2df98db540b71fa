#pragma once

#include "vtp/abi.h"

#include <string>

namespace vtp::kernel {

class KernelRoutes;
class Logger;
class LogLevels;

// The admin routes for per-component log levels (role admin):
//   GET    /api/v1/admin/log-levels              the default level and the levels in effect
//   PUT    /api/v1/admin/log-levels/{component}  {"level": L}: until reset or restart
//   DELETE /api/v1/admin/log-levels/{component}  back to the configured level or the default
class LogLevelRoutes {
public:
    // `log` gets a line for each change, naming who made it.
    LogLevelRoutes(LogLevels& levels, Logger& log) : levels_(levels), log_(log) {}
    LogLevelRoutes(const LogLevelRoutes&) = delete;
    LogLevelRoutes& operator=(const LogLevelRoutes&) = delete;

    // Adds the three routes; this object must outlive the router's use of them.
    void addTo(KernelRoutes& routes);

private:
    static int serveLogLevels(void* self, const vtp_request* request, vtp_response* response);
    static int setLogLevel(void* self, const vtp_request* request, vtp_response* response);
    static int resetLogLevel(void* self, const vtp_request* request, vtp_response* response);
    // False (and a 404 problem in `response`) if `component` is neither a plugin nor a kernel part.
    bool knownComponent(const std::string& component, vtp_response* response) const;

    LogLevels& levels_;
    Logger& log_;
};

} // namespace vtp::kernel

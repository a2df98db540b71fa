#include "log/LogLevelRoutes.hpp"

#include "http/KernelRoutes.hpp"
#include "log/LogLevels.hpp"

#include <Poco/JSON/Object.h>

namespace vtp::kernel {

namespace {

constexpr const char* kLogLevelsSchema =
    R"({"type":"object","properties":{"default":{"type":"string"},"components":{"type":"object","additionalProperties":{"type":"string"}}},"required":["default","components"]})";
constexpr const char* kLevelChangeSchema =
    R"({"type":"object","properties":{"level":{"type":"string","enum":["trace","debug","info","warn","error","off"]}},"required":["level"]})";
constexpr const char* kLevelSchema =
    R"({"type":"object","properties":{"component":{"type":"string"},"level":{"type":"string"}},"required":["component","level"]})";

std::string componentOf(const vtp_request* request)
{
    const char* component = pathParam(request, "component");
    return component ? component : "";
}

std::string levelJson(const std::string& component, LogLevel level)
{
    Poco::JSON::Object o;
    o.set("component", component);
    o.set("level", std::string(logLevelName(level)));
    return toJson(o);
}

} // namespace

void LogLevelRoutes::addTo(KernelRoutes& routes)
{
    routes.add(kernelRoute("GET", "/api/v1/admin/log-levels", "admin", "The default log level and the per-component levels in effect",
                           kLogLevelsSchema),
               serveLogLevels, this);
    RouteSpec put =
        kernelRoute("PUT", "/api/v1/admin/log-levels/{component}", "admin",
                    "Sets a component's log level (a plugin's name or a kernel component) until reset or restart", kLevelSchema);
    put.body = BodyKind::Json;
    put.maxBodyBytes = 1024;
    put.requestSchema = kLevelChangeSchema;
    put.errors = {{404, "unknown-component"}, {422, "invalid-log-level"}};
    routes.add(std::move(put), setLogLevel, this);
    RouteSpec reset = kernelRoute("DELETE", "/api/v1/admin/log-levels/{component}", "admin",
                                  "Returns a component to its configured level (log.components) or the default", kLevelSchema);
    reset.errors = {{404, "unknown-component"}};
    routes.add(std::move(reset), resetLogLevel, this);
}

int LogLevelRoutes::serveLogLevels(void* self, const vtp_request*, vtp_response* response)
{
    auto* o = static_cast<LogLevelRoutes*>(self);
    Poco::JSON::Object components;
    for (const auto& [name, level] : o->levels_.overrides()) components.set(name, std::string(logLevelName(level)));
    Poco::JSON::Object body;
    body.set("default", std::string(logLevelName(o->levels_.defaultLevel())));
    body.set("components", components);
    return answerJson(response, 200, body);
}

bool LogLevelRoutes::knownComponent(const std::string& component, vtp_response* response) const
{
    if (levels_.known(component)) return true;
    answerProblem(response, 404, "unknown-component", "Unknown log component",
                  "'" + component + "' is neither a loaded plugin nor a kernel component");
    return false;
}

int LogLevelRoutes::setLogLevel(void* self, const vtp_request* request, vtp_response* response)
{
    auto* o = static_cast<LogLevelRoutes*>(self);
    const std::string component = componentOf(request);
    if (!o->knownComponent(component, response)) return VTP_OK;
    std::string text;
    const auto body = jsonObjectBody(request);
    if (body && body->has("level") && body->get("level").isString()) text = body->getValue<std::string>("level");
    LogLevel level = LogLevel::Info;
    if (!parseLogLevel(text, level))
        return answerProblem(response, 422, "invalid-log-level", "Invalid log level",
                             "send {\"level\": L} with L one of trace, debug, info, warn, error, off");
    o->levels_.set(component, level);
    o->log_.info("kernel", "log level changed", {{"component", component}, {"level", logLevelName(level)}, {"by", subjectOf(request)}});
    return answerJson(response, 200, levelJson(component, level));
}

int LogLevelRoutes::resetLogLevel(void* self, const vtp_request* request, vtp_response* response)
{
    auto* o = static_cast<LogLevelRoutes*>(self);
    const std::string component = componentOf(request);
    if (!o->knownComponent(component, response)) return VTP_OK;
    const LogLevel level = o->levels_.reset(component);
    o->log_.info("kernel", "log level reset", {{"component", component}, {"level", logLevelName(level)}, {"by", subjectOf(request)}});
    return answerJson(response, 200, levelJson(component, level));
}

} // namespace vtp::kernel

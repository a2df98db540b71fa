#include "http/KernelRoutes.hpp"

#include "http/HttpTypes.hpp"

#include <Poco/JSON/Parser.h>

#include <charconv>
#include <cstring>
#include <sstream>

namespace vtp::kernel {

namespace {

const char* find(const vtp_kv* kvs, size_t n, const char* key)
{
    for (size_t i = 0; i < n; ++i)
        if (kvs[i].key && std::strcmp(kvs[i].key, key) == 0) return kvs[i].value ? kvs[i].value : "";
    return nullptr;
}

} // namespace

void KernelRoutes::add(RouteSpec spec, vtp_route_handler handler, void* userData)
{
    auto r = std::make_unique<vtp_route>();
    r->struct_size = sizeof(vtp_route);
    r->handler = handler;
    r->user_data = userData;
    spec.owner = "kernel";
    spec.target = r.get();
    router_.add(std::move(spec));
    targets_.push_back(std::move(r));
}

RouteSpec kernelRoute(const char* method, const char* pattern, const char* role, const char* summary, const char* responseSchema)
{
    RouteSpec s;
    s.method = method;
    s.pattern = pattern;
    s.role = role;
    s.summary = summary;
    s.responseSchema = responseSchema;
    return s;
}

const char* pathParam(const vtp_request* request, const char* name)
{
    return find(request->params, request->param_count, name);
}

const char* queryParam(const vtp_request* request, const char* name)
{
    return find(request->query, request->query_count, name);
}

std::string subjectOf(const vtp_request* request)
{
    return request->subject ? request->subject : "";
}

bool hasRole(const vtp_request* request, std::string_view role)
{
    for (size_t i = 0; i < request->role_count; ++i)
        if (request->roles[i] && role == request->roles[i]) return true;
    return false;
}

Poco::JSON::Object::Ptr jsonObjectBody(const vtp_request* request)
{
    try {
        return Poco::JSON::Parser().parse(std::string(request->body, request->body_len)).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
        return nullptr; // not JSON, or JSON but not an object
    }
}

std::string toJson(const Poco::JSON::Object& object)
{
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

int answerJson(vtp_response* response, int status, std::string body)
{
    response->data.status = status;
    response->data.contentType = "application/json";
    response->data.body = std::move(body);
    return VTP_OK;
}

int answerJson(vtp_response* response, int status, const Poco::JSON::Object& body)
{
    return answerJson(response, status, toJson(body));
}

int answerProblem(vtp_response* response, int status, std::string_view type, std::string_view title, std::string_view detail)
{
    response->data = makeProblem(status, type, title, detail, response->instance);
    return VTP_OK;
}

bool limitParam(const vtp_request* request, vtp_response* response, int64_t defaultLimit, int64_t maxLimit, std::string_view detail,
                int64_t& limit)
{
    limit = defaultLimit;
    const char* text = queryParam(request, "limit");
    if (!text || !*text) return true;
    const char* end = text + std::strlen(text);
    const auto [stop, ec] = std::from_chars(text, end, limit);
    if (ec == std::errc() && stop == end && limit >= 1 && limit <= maxLimit) return true;
    answerProblem(response, 400, "invalid-parameter", "Invalid limit", detail);
    return false;
}

std::vector<QueryParamSpec> pageQuery(int64_t defaultLimit, int64_t maxLimit)
{
    return {{"limit", "integer",
             "at most this many items, 1 to " + std::to_string(maxLimit) + " (default " + std::to_string(defaultLimit) + ")"},
            {"cursor", "string", "the next_cursor of the previous page, unchanged"}};
}

int answerInvalidCursor(vtp_response* response)
{
    return answerProblem(response, 400, "invalid-parameter", "Invalid cursor", "Pass the next_cursor of a previous page unchanged");
}

} // namespace vtp::kernel

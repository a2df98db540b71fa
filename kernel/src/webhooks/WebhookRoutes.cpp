#include "webhooks/WebhookRoutes.hpp"

#include "http/KernelRoutes.hpp"
#include "webhooks/WebhookService.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <charconv>
#include <cstring>

namespace vtp::kernel {

namespace {

constexpr int64_t kDefaultLimit = 50;
constexpr int64_t kMaxLimit = 200;

// limit and cursor (an offset) from the query; false after writing a 400.
bool paging(const vtp_request* req, vtp_response* res, int64_t& limit, int64_t& offset)
{
    offset = 0;
    if (!limitParam(req, res, kDefaultLimit, kMaxLimit, "limit is an integer from 1 to 200", limit)) return false;
    if (const char* c = queryParam(req, "cursor"); c && *c) {
        const char* end = c + std::strlen(c);
        const auto [stop, ec] = std::from_chars(c, end, offset);
        if (ec != std::errc() || stop != end || offset < 0) {
            answerInvalidCursor(res);
            return false;
        }
    }
    return true;
}

Poco::Dynamic::Var optional(const std::optional<int64_t>& v)
{
    return v ? Poco::Dynamic::Var(*v) : Poco::Dynamic::Var();
}
Poco::Dynamic::Var optionalText(const std::string& s)
{
    return s.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(s);
}

Poco::JSON::Object::Ptr endpointJson(const WebhookEndpoint& e, bool withSecret)
{
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("id", e.id);
    o->set("url", e.url);
    Poco::JSON::Array::Ptr events = new Poco::JSON::Array;
    for (const auto& p : e.events) events->add(p);
    o->set("events", events);
    if (withSecret) o->set("secret", e.secret);
    o->set("created_at", e.createdAt / 1000);
    Poco::JSON::Object::Ptr counts = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    counts->set("pending", e.pending);
    counts->set("delivered", e.delivered);
    counts->set("failed", e.failed);
    o->set("deliveries", counts);
    o->set("pending", e.pending);
    o->set("last_status", optional(e.lastStatus));
    o->set("last_error", optionalText(e.lastError));
    o->set("attempts", e.lastAttempts);
    o->set("last_attempt_at", e.lastAttemptAt ? Poco::Dynamic::Var(*e.lastAttemptAt / 1000) : Poco::Dynamic::Var());
    return o;
}

Poco::JSON::Object::Ptr deliveryJson(const WebhookDelivery& d)
{
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("id", d.id);
    o->set("event", d.event);
    o->set("status", d.status);
    o->set("attempts", d.attempts);
    o->set("last_status", optional(d.lastStatus));
    o->set("last_error", optionalText(d.lastError));
    o->set("next_attempt_at", d.status == "pending" ? Poco::Dynamic::Var(d.nextAttemptAt / 1000) : Poco::Dynamic::Var());
    o->set("created_at", d.createdAt / 1000);
    o->set("updated_at", d.updatedAt / 1000);
    return o;
}

Poco::JSON::Object::Ptr page(const Poco::JSON::Array::Ptr& items, size_t got, int64_t limit, int64_t offset)
{
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("items", items);
    o->set("next_cursor", got > static_cast<size_t>(limit) ? Poco::Dynamic::Var(std::to_string(offset + limit)) : Poco::Dynamic::Var());
    return o;
}

int notFound(vtp_response* res)
{
    return answerProblem(res, 404, "webhook-not-found", "No such webhook", "There is no webhook endpoint with this id");
}

WebhookService& service(void* ud)
{
    return *static_cast<WebhookService*>(ud);
}

int createEndpoint(void* ud, const vtp_request* req, vtp_response* res)
{
    const Poco::JSON::Object::Ptr body = jsonObjectBody(req);
    if (!body) return answerProblem(res, 400, "invalid-body", "Invalid body", "The body is a JSON object {url, events, secret?}");
    std::string url, secret;
    std::vector<std::string> events;
    try {
        url = body->getValue<std::string>("url");
        auto a = body->getArray("events");
        if (!a) throw WebhookError("events is an array of event patterns");
        for (size_t i = 0; i < a->size(); ++i) {
            const auto v = a->get(static_cast<unsigned>(i));
            if (!v.isString()) throw WebhookError("events is an array of event patterns");
            events.push_back(v.extract<std::string>());
        }
        if (body->has("secret") && !body->isNull("secret")) {
            const auto v = body->get("secret");
            if (!v.isString()) throw WebhookError("secret is a string");
            secret = v.extract<std::string>();
        }
        const auto created = service(ud).create(url, events, secret);
        res->data.headers.emplace_back("Location", "/api/v1/admin/webhooks/" + created.id);
        return answerJson(res, 201, *endpointJson(created, true));
    } catch (const WebhookError& e) {
        return answerProblem(res, 400, "invalid-webhook", "Invalid webhook", e.what());
    } catch (const Poco::Exception&) {
        return answerProblem(res, 400, "invalid-webhook", "Invalid webhook", "url is a string and events an array of event patterns");
    }
}

int listEndpoints(void* ud, const vtp_request* req, vtp_response* res)
{
    int64_t limit = 0, offset = 0;
    if (!paging(req, res, limit, offset)) return VTP_OK;
    const auto rows = service(ud).list(static_cast<size_t>(limit + 1), static_cast<size_t>(offset));
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(limit); ++i) items->add(endpointJson(rows[i], false));
    return answerJson(res, 200, *page(items, rows.size(), limit, offset));
}

int getEndpoint(void* ud, const vtp_request* req, vtp_response* res)
{
    const char* id = pathParam(req, "id");
    const auto e = service(ud).find(id ? id : "");
    if (!e) return notFound(res);
    return answerJson(res, 200, *endpointJson(*e, false));
}

int listDeliveries(void* ud, const vtp_request* req, vtp_response* res)
{
    const char* id = pathParam(req, "id");
    if (!service(ud).find(id ? id : "")) return notFound(res);
    int64_t limit = 0, offset = 0;
    if (!paging(req, res, limit, offset)) return VTP_OK;
    std::string status;
    if (const char* s = queryParam(req, "status"); s && *s) {
        status = s;
        if (status != "pending" && status != "delivered" && status != "failed")
            return answerProblem(res, 400, "invalid-parameter", "Invalid status", "status is pending, delivered or failed");
    }
    const auto rows = service(ud).deliveries(id, status, static_cast<size_t>(limit + 1), static_cast<size_t>(offset));
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(limit); ++i) items->add(deliveryJson(rows[i]));
    return answerJson(res, 200, *page(items, rows.size(), limit, offset));
}

int deleteEndpoint(void* ud, const vtp_request* req, vtp_response* res)
{
    const char* id = pathParam(req, "id");
    if (!service(ud).remove(id ? id : "")) return notFound(res);
    res->data.status = 204;
    return VTP_OK;
}

} // namespace

// The API description of an endpoint (endpointJson), a delivery (deliveryJson) and their pages.
#define VTP_ENDPOINT_PROPERTIES                                                                                                            \
    R"("id":{"type":"string"},"url":{"type":"string"},"events":{"type":"array","items":{"type":"string"}},)"                               \
    R"("created_at":{"type":"integer"},"deliveries":{"type":"object","required":["pending","delivered","failed"],)"                        \
    R"("properties":{"pending":{"type":"integer"},"delivered":{"type":"integer"},"failed":{"type":"integer"}}},)"                          \
    R"("pending":{"type":"integer"},"last_status":{"type":["integer","null"]},"last_error":{"type":["string","null"]},)"                   \
    R"("attempts":{"type":"integer"},"last_attempt_at":{"type":["integer","null"]})"
#define VTP_ENDPOINT_REQUIRED R"("id","url","events","created_at","deliveries","pending","last_status","last_error")"
#define VTP_ENDPOINT_SCHEMA   R"({"type":"object","required":[)" VTP_ENDPOINT_REQUIRED R"(],"properties":{)" VTP_ENDPOINT_PROPERTIES "}}"
constexpr const char* kEndpointSchema = VTP_ENDPOINT_SCHEMA;
constexpr const char* kCreatedEndpointSchema =
    R"({"type":"object","required":[)" VTP_ENDPOINT_REQUIRED R"(,"secret"],"properties":{)" VTP_ENDPOINT_PROPERTIES
    R"(,"secret":{"type":"string","description":"The signing secret, shown only here"}}})";
constexpr const char* kEndpointPageSchema =
    R"({"type":"object","required":["items","next_cursor"],"properties":{"items":{"type":"array","items":)" VTP_ENDPOINT_SCHEMA
    R"(},"next_cursor":{"type":["string","null"]}}})";
constexpr const char* kDeliveryPageSchema =
    R"({"type":"object","required":["items","next_cursor"],"properties":{"items":{"type":"array","items":{"type":"object",)"
    R"("required":["id","event","status","attempts","last_status","last_error","next_attempt_at","created_at","updated_at"],)"
    R"("properties":{"id":{"type":"string"},"event":{"type":"string"},"status":{"enum":["pending","delivered","failed"]},)"
    R"("attempts":{"type":"integer"},"last_status":{"type":["integer","null"]},"last_error":{"type":["string","null"]},)"
    R"("next_attempt_at":{"type":["integer","null"]},"created_at":{"type":"integer"},"updated_at":{"type":"integer"}}}},)"
    R"("next_cursor":{"type":["string","null"]}}})";
constexpr const char* kCreateRequestSchema =
    R"({"type":"object","required":["url","events"],"properties":{"url":{"type":"string","description":"http or https URL"},)"
    R"("events":{"type":"array","items":{"type":"string","description":"an event name or a pattern ending in *"}},)"
    R"("secret":{"type":["string","null"],"description":"the signing secret; generated when absent"}}})";
#undef VTP_ENDPOINT_SCHEMA
#undef VTP_ENDPOINT_REQUIRED
#undef VTP_ENDPOINT_PROPERTIES

void addWebhookRoutes(KernelRoutes& routes, WebhookService& service)
{
    auto add = [&](const char* method, const char* path, const char* summary, BodyKind body, vtp_route_handler handler, int success,
                   const char* schema, std::vector<std::pair<int, std::string>> errors, std::vector<QueryParamSpec> query = {}) {
        RouteSpec spec;
        spec.query = std::move(query);
        spec.method = method;
        spec.pattern = path;
        spec.role = "admin";
        spec.summary = summary;
        spec.body = body;
        spec.maxBodyBytes = 16384;
        spec.successStatus = success;
        spec.responseSchema = schema;
        spec.errors = std::move(errors);
        if (body == BodyKind::Json) spec.requestSchema = kCreateRequestSchema;
        routes.add(std::move(spec), handler, &service);
    };
    const std::pair<int, std::string> noSuchWebhook{404, "webhook-not-found"}, badParameter{400, "invalid-parameter"};
    add("POST", "/api/v1/admin/webhooks", "Subscribes an HTTP endpoint to event patterns; answers the signing secret once", BodyKind::Json,
        createEndpoint, 201, kCreatedEndpointSchema, {{400, "invalid-body"}, {400, "invalid-webhook"}});
    add("GET", "/api/v1/admin/webhooks", "Webhook endpoints with delivery counts and the latest attempt", BodyKind::None, listEndpoints,
        200, kEndpointPageSchema, {badParameter}, pageQuery(kDefaultLimit, kMaxLimit));
    auto deliveryQuery = pageQuery(kDefaultLimit, kMaxLimit);
    deliveryQuery.insert(deliveryQuery.begin(), {"status", "string", "only deliveries in this status: pending, delivered, failed"});
    add("GET", "/api/v1/admin/webhooks/{id}", "One webhook endpoint", BodyKind::None, getEndpoint, 200, kEndpointSchema, {noSuchWebhook});
    add("GET", "/api/v1/admin/webhooks/{id}/deliveries", "An endpoint's deliveries, newest first", BodyKind::None, listDeliveries, 200,
        kDeliveryPageSchema, {noSuchWebhook, badParameter}, std::move(deliveryQuery));
    add("DELETE", "/api/v1/admin/webhooks/{id}", "Removes a webhook endpoint and its deliveries", BodyKind::None, deleteEndpoint, 204, "",
        {noSuchWebhook});
}

} // namespace vtp::kernel

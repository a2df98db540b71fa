#pragma once

// What the client-input tests (ClientInputTest.cpp) share: a vtpd with every in-tree plugin
// and real fixtures (accounts, a term, course, classroom, section with meetings, curriculum,
// live room, webhook, timetable job, calendar feed), the API's operations read from its own
// OpenAPI document, a keep-alive client that tags each request with an id, and JSON texts
// rewritten at one place (a member replaced, removed or given twice) for mutated bodies.

#include "AuthTestSupport.hpp"

#include <Poco/String.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace vtp::test::input {

inline const char* kPassword = "lecture-hall-42-blue";
inline const char* kNoSuchId = "00000000-0000-4000-8000-000000000000";

// ------------------------------------------------------------------------------------------
// One request and what came back.
struct Exchange {
    std::string method, target, body, contentType, requestId, who;
    bool withBody = false;
    bool answered = false;
    std::string error; // why there was no answer
    HttpResult result;
    std::string describe(size_t maxBody = 300) const
    {
        std::string b = body.size() > maxBody ? body.substr(0, maxBody) + "...(" + std::to_string(body.size()) + " bytes)" : body;
        std::string t = target.size() > maxBody ? target.substr(0, maxBody) + "..." : target;
        std::string r = result.body.size() > maxBody ? result.body.substr(0, maxBody) + "..." : result.body;
        return method + " " + t + " as " + (who.empty() ? "nobody" : who) + (withBody ? " with " + contentType + " body " + b : "") +
               " -> " + (answered ? std::to_string(result.status) + " " + result.contentType + " " + r : "no answer: " + error);
    }
};

// HTTP/1.1 with keep-alive (reconnecting when the server closes), every request with its own
// X-Request-Id so a problem's `instance` can be checked against it.
class Client {
public:
    explicit Client(uint16_t port) : port_(port) {}

    Exchange send(const std::string& method, const std::string& target, const std::string& token, const std::string& who,
                  std::optional<std::string> body = std::nullopt, const std::string& contentType = "application/json")
    {
        Exchange x;
        x.method = method;
        x.target = target;
        x.who = who;
        x.withBody = body.has_value();
        x.body = body.value_or("");
        x.contentType = contentType;
        x.requestId = "input-" + std::to_string(++count_);
        for (int attempt = 0; attempt < 2 && !x.answered; ++attempt) {
            try {
                if (!session_) {
                    session_ = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", port_);
                    session_->setTimeout(Poco::Timespan(60, 0));
                    session_->setKeepAlive(true);
                }
                Poco::Net::HTTPRequest req(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
                req.setKeepAlive(true);
                req.set("X-Request-Id", x.requestId);
                if (!token.empty()) req.set("Authorization", "Bearer " + token);
                // A body waits for 100 Continue: a server refusing the request early (bad path,
                // too large) closes the connection without reading the body, and a client still
                // writing it would see a reset instead of the answer.
                const bool expect = x.withBody && !x.body.empty();
                if (x.withBody) {
                    req.setContentType(contentType);
                    req.setContentLength(static_cast<std::streamsize>(x.body.size()));
                    req.setExpectContinue(expect);
                }
                std::ostream& os = session_->sendRequest(req);
                Poco::Net::HTTPResponse resp;
                if (!expect || session_->peekResponse(resp)) os << x.body;
                std::istream& is = session_->receiveResponse(resp);
                x.result = {};
                x.result.status = resp.getStatus();
                x.result.contentType = resp.getContentType();
                for (const auto& [k, v] : resp) x.result.headers[k] = v;
                Poco::StreamCopier::copyToString(is, x.result.body);
                x.answered = true;
                if (!resp.getKeepAlive()) session_.reset();
            } catch (const Poco::Exception& e) {
                x.error = e.displayText();
                session_.reset();
            } catch (const std::exception& e) {
                x.error = e.what();
                session_.reset();
            }
        }
        return x;
    }
    size_t count() const { return count_; }

private:
    uint16_t port_;
    std::unique_ptr<Poco::Net::HTTPClientSession> session_;
    size_t count_ = 0;
};

// What every answer to a client must be: an answer, below 500, and a problem that is a proper
// RFC 9457 object carrying the request's id as `instance` (`withInstance`). Empty when it is.
inline std::string verdict(const Exchange& x, bool withInstance = true)
{
    if (!x.answered) return "no answer";
    if (x.result.status >= 500) return "server error";
    if (x.result.contentType.rfind("application/problem+json", 0) == 0) {
        try {
            const auto j = Poco::JSON::Parser().parse(x.result.body).extract<Poco::JSON::Object::Ptr>();
            if (!j->has("type") || !j->has("title")) return "problem without type or title";
            if (!j->has("status") || j->getValue<int>("status") != x.result.status) return "problem whose status differs";
            if (withInstance) {
                // A head the parser refused has no client id to echo: the server makes one, and
                // the problem's instance must still be the id the response carries.
                const std::string type = j->optValue<std::string>("type", "");
                const bool headRefused = type == "urn:vtp:problem:malformed-request" || type == "urn:vtp:problem:uri-too-long" ||
                                         type == "urn:vtp:problem:headers-too-large";
                std::string echoed;
                for (const auto& [k, v] : x.result.headers)
                    if (Poco::icompare(k, "x-request-id") == 0) echoed = v;
                const std::string instance = j->optValue<std::string>("instance", "");
                if (instance.empty() || instance != echoed || (!headRefused && instance != x.requestId))
                    return "problem without the request id as instance";
            }
        } catch (const std::exception&) {
            return "problem that is not a JSON object";
        }
    }
    return {};
}

// ------------------------------------------------------------------------------------------
// The API as its OpenAPI document describes it.
struct Operation {
    enum class Body { None, Json, Raw };
    std::string method, path; // "POST", "/api/v1/sections/{id}/enroll"
    std::vector<std::string> queryNames;
    Body body = Body::None;
    std::string rawContentType;
    Poco::JSON::Object::Ptr schema; // the JSON request body's, when declared
    std::string key() const { return method + " " + path; }
};

inline std::vector<std::string> splitPath(const std::string& path)
{
    std::vector<std::string> out;
    size_t pos = 1;
    while (pos <= path.size()) {
        const size_t slash = path.find('/', pos);
        out.push_back(path.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos));
        if (slash == std::string::npos) break;
        pos = slash + 1;
    }
    return out;
}

// Query names from declared parameters and from summaries written "(?q name contains, ?limit, cursor)".
inline std::vector<std::string> queryNamesOf(const Poco::JSON::Object::Ptr& op)
{
    std::set<std::string> names;
    if (auto params = op->getArray("parameters"))
        for (size_t i = 0; i < params->size(); ++i) {
            auto p = params->getObject(static_cast<unsigned>(i));
            if (p && p->optValue<std::string>("in", "") == "query") names.insert(p->getValue<std::string>("name"));
        }
    const std::string summary = op->optValue<std::string>("summary", "") + " " + op->optValue<std::string>("description", "");
    for (size_t open = summary.find("(?"); open != std::string::npos; open = summary.find("(?", open + 1)) {
        const size_t close = summary.find(')', open);
        std::stringstream list(summary.substr(open + 1, close == std::string::npos ? std::string::npos : close - open - 1));
        std::string item;
        while (std::getline(list, item, ',')) {
            size_t i = item.find_first_not_of(" ?");
            size_t j = i;
            while (j < item.size() && (std::islower(static_cast<unsigned char>(item[j])) || item[j] == '_')) ++j;
            if (i != std::string::npos && j > i) names.insert(item.substr(i, j - i));
        }
    }
    return {names.begin(), names.end()};
}

inline std::vector<Operation> operationsOf(const Poco::JSON::Object::Ptr& doc)
{
    std::vector<Operation> ops;
    const auto paths = doc->getObject("paths");
    for (const auto& [path, item] : *paths) {
        const auto methods = item.extract<Poco::JSON::Object::Ptr>();
        for (const char* m : {"get", "post", "put", "patch", "delete"}) {
            if (!methods->has(m)) continue;
            const auto op = methods->getObject(m);
            Operation o;
            o.method = m;
            for (auto& c : o.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            o.path = path;
            o.queryNames = queryNamesOf(op);
            if (auto rb = op->getObject("requestBody")) {
                const auto content = rb->getObject("content");
                if (content && content->has("application/json")) {
                    o.body = Operation::Body::Json;
                    o.schema = content->getObject("application/json")->getObject("schema");
                } else if (content && content->size() > 0) {
                    o.body = Operation::Body::Raw;
                    o.rawContentType = content->begin()->first;
                    if (o.rawContentType.find('*') != std::string::npos) o.rawContentType = "text/plain";
                }
            }
            ops.push_back(std::move(o));
        }
    }
    return ops;
}

// ------------------------------------------------------------------------------------------
// JSON texts rewritten at one node. A path is a list of member names and array indices.
using NodePath = std::vector<std::string>;

struct Edit {
    enum class Kind { Replace, Remove, Duplicate, AddMember } kind = Kind::Replace;
    NodePath at;     // the node (for AddMember: the object)
    std::string raw; // JSON text of the new value (Duplicate: the second copy's value; AddMember: "name": value)
};

inline Poco::Dynamic::Var parseOrdered(const std::string& text)
{
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    return parser.parse(text);
}

inline std::string condensed(const Poco::Dynamic::Var& v)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(v, out);
    return out.str();
}

inline std::string quoted(const std::string& s)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::formatString(s, out);
    return out.str();
}

inline std::string render(const Poco::Dynamic::Var& v, const Edit& e, size_t depth = 0)
{
    const bool onPath = depth < e.at.size();
    if (!onPath && depth == e.at.size() && e.kind == Edit::Kind::Replace) return e.raw;
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
        const auto o = v.extract<Poco::JSON::Object::Ptr>();
        std::string out = "{";
        bool first = true;
        auto member = [&](const std::string& text) {
            out += (first ? "" : ",") + text;
            first = false;
        };
        for (const auto& [k, child] : *o) {
            const bool target = onPath && e.at[depth] == k;
            if (target && depth + 1 == e.at.size() && e.kind == Edit::Kind::Remove) continue;
            if (target && depth + 1 == e.at.size() && e.kind == Edit::Kind::Duplicate) {
                member(quoted(k) + ":" + condensed(child));
                member(quoted(k) + ":" + e.raw);
                continue;
            }
            member(quoted(k) + ":" + (target ? render(child, e, depth + 1) : condensed(child)));
        }
        if (depth == e.at.size() && e.kind == Edit::Kind::AddMember) member(e.raw);
        return out + "}";
    }
    if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
        const auto a = v.extract<Poco::JSON::Array::Ptr>();
        std::string out = "[";
        for (size_t i = 0; i < a->size(); ++i) {
            const bool target = onPath && e.at[depth] == std::to_string(i);
            if (target && depth + 1 == e.at.size() && e.kind == Edit::Kind::Remove) continue;
            if (out.size() > 1) out += ",";
            out += target ? render(a->get(static_cast<unsigned>(i)), e, depth + 1) : condensed(a->get(static_cast<unsigned>(i)));
            if (target && depth + 1 == e.at.size() && e.kind == Edit::Kind::Duplicate) out += "," + e.raw;
        }
        return out + "]";
    }
    return condensed(v);
}

// Every node below the root, parents before children; objects also listed in `objects`.
inline void nodesOf(const Poco::Dynamic::Var& v, NodePath& at, std::vector<NodePath>& all, std::vector<NodePath>& objects)
{
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
        objects.push_back(at);
        for (const auto& [k, child] : *v.extract<Poco::JSON::Object::Ptr>()) {
            at.push_back(k);
            all.push_back(at);
            nodesOf(child, at, all, objects);
            at.pop_back();
        }
    } else if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
        const auto a = v.extract<Poco::JSON::Array::Ptr>();
        for (size_t i = 0; i < a->size(); ++i) {
            at.push_back(std::to_string(i));
            all.push_back(at);
            nodesOf(a->get(static_cast<unsigned>(i)), at, all, objects);
            at.pop_back();
        }
    }
}

// A plausible value for a JSON Schema, for operations no seed below describes.
inline std::string exampleFor(const Poco::JSON::Object::Ptr& schema, int depth = 0)
{
    if (!schema || depth > 4) return "null";
    std::string type;
    if (schema->has("type")) {
        const auto t = schema->get("type");
        if (t.isString())
            type = t.extract<std::string>();
        else if (auto a = schema->getArray("type"); a && a->size() > 0)
            type = a->getElement<std::string>(0);
    } else if (auto one = schema->getArray("oneOf"); one && one->size() > 0) {
        return exampleFor(one->getObject(0), depth + 1);
    }
    if (auto en = schema->getArray("enum"); en && en->size() > 0) return condensed(en->get(0));
    if (type == "string") return schema->optValue<std::string>("format", "") == "date" ? "\"2025-09-01\"" : "\"x\"";
    if (type == "integer" || type == "number") return "1";
    if (type == "boolean") return "true";
    if (type == "array") return "[" + exampleFor(schema->getObject("items"), depth + 1) + "]";
    if (type == "object" || schema->has("properties")) {
        std::string out = "{";
        if (auto props = schema->getObject("properties"))
            for (const auto& [k, sub] : *props) {
                if (out.size() > 1) out += ",";
                out += quoted(k) + ":" + exampleFor(sub.extract<Poco::JSON::Object::Ptr>(), depth + 1);
            }
        return out + "}";
    }
    return "null";
}

inline std::string percentEncode(const std::string& s)
{
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// ------------------------------------------------------------------------------------------
// A vtpd with every in-tree plugin, the accounts the requests are made as, and real fixtures
// so that path ids exist and handlers run past their lookups. ensure() puts back whatever a
// request took away (a deleted section, a logged-out admin, a changed password).
struct Account {
    std::string role, email, password = kPassword, id, token, refresh;
};

class World {
public:
    explicit World(Backend backend)
        : server_(backend,
                  std::string("[plugins.auth]\nregistration = \"open\"\n\n[plugins.auth.throttle]\naccount_failures = 1000\n"
                              "address_failures = 100000\n\n") +
                      kFastArgon +
                      "[plugins.courses.timetable]\ndefault_time_limit_seconds = 1\nmax_time_limit_seconds = 1\nthreads = 1\n\n"
                      "[plugins.courses.calendar]\npast_days = 3650\nfuture_days = 3650\n\n",
                  {"auth", "courses", "signalling"})
    {
        if (!server_.start()) throw std::runtime_error("vtpd did not start: " + server_.vtpd().logs());
        client_ = std::make_unique<Client>(server_.vtpd().httpPort());
        admin = makeAccount("admin");
        instructor = makeAccount("instructor");
        student = makeAccount("student");
        victim = makeAccount("student");
        ensure();
    }

    AuthServer& server() { return server_; }
    Client& client() { return *client_; }

    Exchange call(const std::string& method, const std::string& target, const Account* who, std::optional<std::string> body = std::nullopt,
                  const std::string& contentType = "application/json")
    {
        return client_->send(method, target, who ? who->token : "", who ? who->role : "", std::move(body), contentType);
    }

    // The JSON object a call that must succeed answered.
    Poco::JSON::Object::Ptr must(const std::string& method, const std::string& target, const Account& who,
                                 std::optional<std::string> body = std::nullopt)
    {
        const auto x = call(method, target, &who, std::move(body));
        if (!x.answered || x.result.status >= 300) throw std::runtime_error("fixture call failed: " + x.describe());
        if (x.result.body.empty()) return new Poco::JSON::Object;
        return Poco::JSON::Parser().parse(x.result.body).extract<Poco::JSON::Object::Ptr>();
    }

    std::string unique(const std::string& stem) { return stem + std::to_string(++serial_); }

    // Accounts whose token works and fixtures that exist, whatever the last requests did.
    void ensure()
    {
        for (Account* a : {&admin, &instructor, &student, &victim}) ensureAccount(*a);
        auto exists = [&](const std::string& path) { return !path.empty() && call("GET", path, &admin).result.status == 200; };
        if (term.empty() || !exists("/api/v1/terms/" + term)) {
            timetable.clear();
            term = str(
                must(
                    "POST", "/api/v1/terms", admin,
                    R"({"name":")" + unique("Term ") +
                        R"(","start_date":"2025-09-01","end_date":"2025-12-19","time_zone":"Europe/Zurich",)"
                        R"("holidays":["2025-09-08"],"teaching_days":[1,2,3,4,5],"periods":[{"start":"08:00","end":"09:30"},{"start":"10:00","end":"11:30"}]})"),
                "id");
            course.clear();
        }
        if (course.empty() || !exists("/api/v1/courses/" + course)) {
            course = str(must("POST", "/api/v1/courses", admin,
                              R"({"term_id":")" + term + R"(","code":")" + unique("CS") +
                                  R"(","title":"Input","credits":6,"department":"CS","lectures_per_week":2,"min_working_days":2})"),
                         "id");
            section.clear();
        }
        if (classroom.empty() || !exists("/api/v1/classrooms/" + classroom))
            classroom = str(must("POST", "/api/v1/classrooms", admin,
                                 R"({"name":")" + unique("Hall ") + R"(","kind":"physical","capacity":120,"features":["projector"]})"),
                            "id");
        if (section.empty() || !exists("/api/v1/sections/" + section)) {
            section = str(must("POST", "/api/v1/sections", admin,
                               R"({"course_id":")" + course + R"(","name":")" + unique("S") +
                                   R"(","capacity":30,"waitlist_capacity":5,"instructors":[")" + instructor.id + R"("]})"),
                          "id");
            must("PUT", "/api/v1/sections/" + section + "/meetings", admin,
                 R"({"meetings":[{"weekday":1,"start_time":"09:15","end_time":"10:45","room_id":")" + classroom + R"("}]})");
            courseSession.clear();
        }
        call("POST", "/api/v1/sections/" + section + "/enroll", &student);
        if (courseSession.empty()) {
            const auto s = must("GET", "/api/v1/sections/" + section + "/sessions?limit=1", admin)->getArray("sessions");
            courseSession = s && s->size() ? s->getObject(0)->getValue<std::string>("id") : kNoSuchId;
        }
        if (curriculum.empty() || !exists("/api/v1/curricula/" + curriculum))
            curriculum =
                str(must("POST", "/api/v1/curricula", admin,
                         R"({"term_id":")" + term + R"(","name":")" + unique("Plan ") + R"(","course_ids":[")" + course + R"("]})"),
                    "id");
        if (room.empty() || !exists("/api/v1/rooms/" + room))
            room = str(must("POST", "/api/v1/rooms", admin, R"({"name":")" + unique("Room ") + R"(","max_participants":10})"), "id");
        if (webhook.empty() || !exists("/api/v1/admin/webhooks/" + webhook))
            webhook =
                str(must("POST", "/api/v1/admin/webhooks", admin, R"({"url":"http://127.0.0.1:9/hook","events":["course.*"]})"), "id");
        if (timetable.empty()) {
            const auto t = must("POST", "/api/v1/terms/" + term + "/timetables", admin, R"({"time_limit_seconds":1,"seed":1})");
            timetable = str(t, "id");
            job = str(t, "job_id");
        }
        if (calendarPath.empty() || call("GET", calendarPath, nullptr).result.status != 200)
            calendarPath = str(must("POST", "/api/v1/users/me/calendar", student), "path");
        const auto sessions = must("GET", "/api/v1/auth/sessions", admin)->getArray("sessions");
        authSession = sessions && sessions->size() ? sessions->getObject(0)->getValue<std::string>("id") : kNoSuchId;
        if (invite.empty()) invite = str(must("POST", "/api/v1/invites", admin, R"({"roles":["student"]})"), "id");
    }

    // The value of a path parameter: the fixture its collection names, or an id that exists nowhere.
    std::string paramValue(const std::string& path, size_t segment) const
    {
        const auto segs = splitPath(path);
        const std::string prev = segment > 0 ? segs[segment - 1] : "";
        if (prev == "terms") return term;
        if (prev == "courses") return course;
        if (prev == "classrooms") return classroom;
        if (prev == "sections") return section;
        if (prev == "curricula") return curriculum;
        if (prev == "rooms") return room;
        if (prev == "users" || prev == "enrollments") return victim.id;
        if (prev == "timetables") return timetable;
        if (prev == "jobs") return job;
        if (prev == "webhooks") return webhook;
        if (prev == "invites") return invite;
        if (prev == "log-levels") return "courses";
        if (prev == "calendar") return calendarPath.substr(calendarPath.rfind('/') + 1);
        if (prev == "sessions") return path.find("/auth/sessions") != std::string::npos ? authSession : courseSession;
        return kNoSuchId;
    }

    // The path with every {param} filled in; `override` replaces the one at segment `which`.
    std::string target(const Operation& op, std::optional<size_t> which = std::nullopt, const std::string& override = {}) const
    {
        const auto segs = splitPath(op.path);
        std::string out;
        for (size_t i = 0; i < segs.size(); ++i) {
            out += "/";
            if (segs[i].size() > 2 && segs[i].front() == '{' && segs[i].back() == '}')
                out += which && *which == i ? override : percentEncode(paramValue(op.path, i));
            else
                out += segs[i];
        }
        return out;
    }

    // A valid body for the operation (when it takes one): the seeds below, else from its schema.
    std::string seed(const Operation& op)
    {
        const std::string k = op.key();
        if (k == "POST /api/v1/auth/register")
            return R"({"email":")" + unique("reg") + R"(@uni.example","password":")" + std::string(kPassword) +
                   R"(","display_name":"Reg"})";
        if (k == "POST /api/v1/auth/login") return R"({"email":")" + victim.email + R"(","password":")" + victim.password + R"("})";
        if (k == "POST /api/v1/auth/refresh") return R"({"refresh_token":")" + victim.refresh + R"("})";
        if (k == "POST /api/v1/auth/password-reset") return R"({"email":")" + victim.email + R"("})";
        if (k == "POST /api/v1/auth/password-reset/confirm")
            return R"({"token":"0123456789abcdef0123456789abcdef","new_password":"another-hall-43-green"})";
        if (k == "PATCH /api/v1/users/me")
            return R"({"display_name":"Admin","locale":"en-GB","time_zone":"Europe/Zurich","avatar_url":"https://example.org/a.png"})";
        if (k == "POST /api/v1/users/me/password")
            return R"({"current_password":")" + std::string(kPassword) + R"(","new_password":")" + kPassword + R"("})";
        if (k == "PATCH /api/v1/users/{id}") return R"({"roles":["student"],"disabled":false,"display_name":"Victim"})";
        if (k == "POST /api/v1/invites")
            return R"({"email":")" + unique("inv") + R"(@uni.example","roles":["student"],"ttl_seconds":3600})";
        if (k == "POST /api/v1/terms")
            return R"({"name":")" + unique("T") +
                   R"(","start_date":"2025-09-01","end_date":"2025-12-19","time_zone":"Europe/Zurich","holidays":["2025-09-08"],"teaching_days":[1,2,3],"periods":[{"start":"08:00","end":"09:30"}]})";
        if (k == "PATCH /api/v1/terms/{id}")
            return R"({"name":")" + unique("T") + R"(","holidays":["2025-09-09"],"teaching_days":[1,2,3,4,5]})";
        if (k == "POST /api/v1/classrooms")
            return R"({"name":")" + unique("Hall ") + R"(","kind":"virtual","capacity":50,"features":["projector"]})";
        if (k == "PATCH /api/v1/classrooms/{id}") return R"({"name":")" + unique("Hall ") + R"(","capacity":100,"features":["camera"]})";
        if (k == "POST /api/v1/courses")
            return R"({"term_id":")" + term + R"(","code":")" + unique("C") +
                   R"(","title":"T","description":"d","credits":6,"department":"CS","lectures_per_week":2,"min_working_days":2})";
        if (k == "PATCH /api/v1/courses/{id}") return R"({"title":"New","credits":5,"lectures_per_week":2,"min_working_days":2})";
        if (k == "PUT /api/v1/courses/{id}/unavailability") return R"({"periods":[{"day":0,"period":0}]})";
        if (k == "POST /api/v1/curricula")
            return R"({"term_id":")" + term + R"(","name":")" + unique("P") + R"(","course_ids":[")" + course + R"("]})";
        if (k == "PATCH /api/v1/curricula/{id}") return R"({"name":")" + unique("P") + R"(","course_ids":[")" + course + R"("]})";
        if (k == "POST /api/v1/sections")
            return R"({"course_id":")" + course + R"(","name":")" + unique("S") +
                   R"(","capacity":30,"waitlist_capacity":5,"instructors":[")" + instructor.id +
                   R"("],"assistants":[],"enrollment_opens":"2025-01-01","enrollment_closes":"2030-12-31","drop_deadline":"2030-12-31"})";
        if (k == "PATCH /api/v1/sections/{id}")
            return R"({"name":"S","capacity":40,"waitlist_capacity":5,"instructors":[")" + instructor.id + R"("]})";
        if (k == "PUT /api/v1/sections/{id}/meetings")
            return R"({"meetings":[{"weekday":1,"start_time":"09:15","end_time":"10:45","room_id":")" + classroom + R"("}]})";
        if (k == "POST /api/v1/sections/{id}/enrollments") return R"({"user_id":")" + victim.id + R"("})";
        if (k == "PATCH /api/v1/sessions/{id}") return R"({"date":"2025-09-09","start_time":"16:00","end_time":"17:30","note":"moved"})";
        if (k == "POST /api/v1/terms/{id}/timetables") return R"({"time_limit_seconds":1,"seed":7})";
        if (k == "POST /api/v1/rooms")
            return R"({"name":")" + unique("Room ") + R"(","max_participants":10,"locked":false,"access":{"users":[")" + student.id +
                   R"("]}})";
        if (k == "POST /api/v1/admin/webhooks")
            return R"({"url":"http://127.0.0.1:9/hook","events":["course.*"],"secret":"0123456789abcdef0123"})";
        if (k == "PUT /api/v1/admin/log-levels/{component}") return R"({"level":"debug"})";
        if (k == "POST /api/v1/sections/{id}/roster.csv") return "email\n" + victim.email + "\n";
        if (k == "POST /api/v1/terms/{id}/import.ctt")
            return "Name: Toy\nCourses: 1\nRooms: 1\nDays: 1\nPeriods_per_day: 2\nCurricula: 1\nConstraints: 0\n\nCOURSES:\nc1 t1 1 1 "
                   "10\n\n"
                   "ROOMS:\nr1 20\n\nCURRICULA:\nq1 1 c1\n\nUNAVAILABILITY_CONSTRAINTS:\n\nEND.\n";
        if (op.body == Operation::Body::Json) return exampleFor(op.schema);
        return {};
    }

    Account admin, instructor, student, victim;
    std::string term, course, classroom, section, courseSession, curriculum, room, webhook, timetable, job, calendarPath, authSession,
        invite;

private:
    static std::string str(const Poco::JSON::Object::Ptr& o, const std::string& key)
    {
        if (!o->has(key)) throw std::runtime_error("no '" + key + "' in a fixture's answer");
        return o->getValue<std::string>(key);
    }

    Account makeAccount(const std::string& role)
    {
        Account a;
        a.role = role;
        a.email = unique(role) + "@uni.example";
        if (role == "student") {
            const auto r = call("POST", "/api/v1/auth/register", nullptr,
                                R"({"email":")" + a.email + R"(","password":")" + a.password + R"(","display_name":"Student"})");
            if (r.result.status != 201) throw std::runtime_error("register: " + r.describe());
        } else {
            server_.createUser(a.email, a.password, role);
        }
        login(a);
        a.id = str(must("GET", "/api/v1/users/me", a), "id");
        return a;
    }

    bool login(Account& a)
    {
        const auto r = call("POST", "/api/v1/auth/login", nullptr, R"({"email":")" + a.email + R"(","password":")" + a.password + R"("})");
        if (r.result.status != 200) return false;
        const auto j = Poco::JSON::Parser().parse(r.result.body).extract<Poco::JSON::Object::Ptr>();
        a.token = j->getValue<std::string>("access_token");
        a.refresh = j->getValue<std::string>("refresh_token");
        return true;
    }

    // A token that works: the old one, a new login, or (password changed, account disabled or
    // demoted by a mutated request) a new account with the same role.
    void ensureAccount(Account& a)
    {
        const auto me = call("GET", "/api/v1/users/me", &a);
        if (me.result.status == 200) {
            const auto roles = Poco::JSON::Parser().parse(me.result.body).extract<Poco::JSON::Object::Ptr>()->getArray("roles");
            if (roles && roles->size() == 1 && roles->getElement<std::string>(0) == a.role) return;
        } else if (login(a)) {
            return;
        }
        const bool enrolled = &a == &student;
        a = makeAccount(a.role);
        if (enrolled && !section.empty()) call("POST", "/api/v1/sections/" + section + "/enroll", &a);
    }

    AuthServer server_;
    std::unique_ptr<Client> client_;
    size_t serial_ = 0;
};

} // namespace vtp::test::input

// Fuzzes the kernel's request handling after the head is parsed: request ids, header limits,
// query parsing, routing with path parameters, auth decisions, body rules and the JSON check,
// through to a handler that parses the body with the SDK's Json (what plugins do).
//
// Input format: "METHOD TARGET\n" then "name: value\n" header lines, a blank line, the body.
#include "http/HttpPipeline.hpp"
#include "http/JsonCheck.hpp"
#include "log/Logger.hpp"
#include "vtp/abi.h"
#include "vtp/json.hpp"

#include <cstdio>
#include <memory>
#include <string>

using namespace vtp::kernel;

namespace {

int handler(void*, const vtp_request* r, vtp_response* out)
{
    if (r->body_len) {
        try {
            auto j = vtp::Json::parse(std::string_view(r->body, r->body_len));
            (void)j.dump();
        } catch (const vtp::JsonError&) {
            // The kernel's checker and Poco may disagree on edge cases; a JsonError is fine, a crash is not.
        }
    }
    out->data.status = 200;
    out->data.body = r->path;
    return VTP_OK;
}

class AcceptAll : public Authenticator {
public:
    bool available() const override { return true; }
    bool verify(std::string_view token, Principal& p, std::string& reason) override
    {
        if (token.starts_with("ok")) {
            p = {"u", {"student"}};
            return true;
        }
        reason = "no";
        return false;
    }
};

struct World {
    std::FILE* sink = std::fopen("/dev/null", "w");
    Logger log{sink};
    Router router;
    vtp_route target{};
    AcceptAll auth;
    std::unique_ptr<HttpPipeline> pipeline;

    World()
    {
        target.struct_size = sizeof target;
        target.handler = handler;
        auto add = [&](const char* m, const char* p, const char* role, BodyKind b) {
            RouteSpec s;
            s.method = m;
            s.pattern = p;
            s.role = role;
            s.body = b;
            s.owner = "fuzz";
            s.target = &target;
            router.add(std::move(s));
        };
        add("GET", "/health", "public", BodyKind::None);
        add("GET", "/api/v1/rooms/{id}", "authenticated", BodyKind::None);
        add("GET", "/api/v1/rooms/new", "public", BodyKind::None);
        add("POST", "/api/v1/rooms/{id}/chat/{msg}", "public", BodyKind::Json);
        add("PUT", "/api/v1/raw", "instructor", BodyKind::Raw);
        HttpLimits limits;
        limits.maxBodyBytes = 4096;
        pipeline = std::make_unique<HttpPipeline>(router, limits, log);
        pipeline->setAuthenticator(&auth);
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static World world;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    // What the kernel's check lets through, a plugin's parser must read: no JsonError (and so no
    // 500) for a body that passed (lone surrogates, numbers Poco wraps, ... are refused first).
    // Poco parses only an object or an array at the top; a scalar body is a JsonError, a 400.
    const auto first = in.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && (in[first] == '{' || in[first] == '[') && checkJson(in).ok) {
        try {
            (void)vtp::Json::parse(in);
        } catch (const vtp::JsonError&) {
            __builtin_trap();
        }
    }

    IncomingRequest req;
    size_t pos = in.find('\n');
    const auto line = in.substr(0, pos);
    const auto sp = line.find(' ');
    req.method = std::string(line.substr(0, sp));
    req.target = sp == std::string_view::npos ? "" : std::string(line.substr(sp + 1));
    std::string_view rest = pos == std::string_view::npos ? std::string_view() : in.substr(pos + 1);
    while (!rest.empty()) {
        pos = rest.find('\n');
        const auto h = rest.substr(0, pos);
        rest = pos == std::string_view::npos ? std::string_view() : rest.substr(pos + 1);
        if (h.empty()) break;
        const auto colon = h.find(':');
        if (colon == std::string_view::npos) continue;
        std::string name(h.substr(0, colon));
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value(h.substr(colon + 1));
        if (!value.empty() && value[0] == ' ') value.erase(0, 1);
        if (name == "content-length") req.contentLength = value.size();
        if (name == "transfer-encoding") req.chunked = true;
        req.headers.emplace_back(std::move(name), std::move(value));
    }
    if (!req.contentLength && !req.chunked && !rest.empty()) req.contentLength = rest.size();
    auto resp = world.pipeline->handle(req, rest);
    if (resp.status < 100 || resp.status > 599) __builtin_trap();
    return 0;
}

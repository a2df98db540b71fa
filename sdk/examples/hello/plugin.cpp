// The example plugin: one route with a path parameter, one config key, one migration, plus
// the pieces most plugins need (a JSON body route, a paginated list, a WebSocket endpoint and a
// vtpctl command). docs/plugin-authors.md walks through this file.
#include <vtp/sdk.hpp>

#include <chrono>
#include <ctime>

namespace {

std::string nowUtc()
{
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

class HelloPlugin : public vtp::Plugin {
public:
    static vtp::PluginInfo info()
    {
        return {
            .name = "hello",
            .version = "1.0.0",
            .description = "Example plugin: greets people and remembers how often",
            .dependencies = {},
            .config =
                {
                    vtp::ConfigKey::string("greeting", "Hello", "The word a greeting starts with"),
                    vtp::ConfigKey::integer("max_name_length", 64, "Longest name accepted, in bytes").range(1, 1024),
                },
        };
    }

    void init(vtp::Host& host) override
    {
        host_ = &host;
        greeting_ = host.config().getString("greeting");
        maxName_ = static_cast<size_t>(host.config().getInt("max_name_length"));

        host.route(
            {.method = "GET",
             .path = "/api/v1/hello/{name}",
             .role = vtp::Role::Public,
             .summary = "Greets {name} and counts the greeting",
             .responseSchema =
                 R"({"type":"object","properties":{"greeting":{"type":"string"},"count":{"type":"integer"}},"required":["greeting","count"]})",
             // The problems the handler answers, for the API description (the kernel adds its own).
             .errors = {{400, "invalid-name"}}},
            [this](const vtp::Request& req) { return greet(req.param("name")); });

        host.route(
            {.method = "GET",
             .path = "/api/v1/hello",
             .role = vtp::Role::Public,
             .summary = "Lists greeted names, most greeted first",
             .responseSchema =
                 R"({"type":"object","required":["items","next_cursor"],"properties":{"items":{"type":"array","items":{"type":"object","required":["name","count"],"properties":{"name":{"type":"string"},"count":{"type":"integer"}}}},"next_cursor":{"type":["string","null"]}}})",
             .errors = {{400, "invalid-parameter"}},
             // What the handler reads from the query string, for the API description.
             .query = {{"limit", vtp::Query::Integer, "at most this many names, 1 to 100 (default 20)"},
                       {"cursor", vtp::Query::Integer, "the next_cursor of the previous page (an offset)"}}},
            [this](const vtp::Request& req) { return list(req); });

        host.route({.method = "POST",
                    .path = "/api/v1/hello/echo",
                    .role = vtp::Role::Public,
                    .summary = "Echoes a JSON object with the greeting added",
                    .body = vtp::Body::Json,
                    .maxBodyBytes = 64 * 1024,
                    .requestSchema = R"({"type":"object"})",
                    .responseSchema = R"({"type":"object","required":["greeting"],"properties":{"greeting":{"type":"string"}}})",
                    .errors = {{422, "validation-failed"}}},
                   [this](const vtp::Request& req) {
                       vtp::Json body = req.json();
                       if (!body.isObject()) throw vtp::Unprocessable("the body must be a JSON object");
                       body.set("greeting", greeting_);
                       return vtp::Response::json(body);
                   });

        host.route({.method = "GET",
                    .path = "/api/v1/hello/me",
                    .role = vtp::Role::Authenticated,
                    .summary = "Greets the authenticated user",
                    .responseSchema = R"({"type":"object","required":["greeting"],"properties":{"greeting":{"type":"string"}}})"},
                   [this](const vtp::Request& req) {
                       return vtp::Response::json({{"greeting", greeting_ + ", " + std::string(req.subject()) + "!"}});
                   });

        host.socket({.path = "/hello/echo",
                     .onOpen = [this](const vtp_ws_open_info& info) { host_->send(info.connection, greeting_); },
                     .onMessage = [this](uint64_t c, std::string_view data, bool binary) { host_->send(c, data, binary); }});

        host.command({.name = "hello greet",
                      .summary = "Greets a name from the command line",
                      .usage = "NAME",
                      .run = [this](const std::vector<std::string>& args) {
                          if (args.size() != 1) {
                              std::fprintf(stderr, "usage: vtpctl hello greet NAME\n");
                              return 2;
                          }
                          const auto body = greet(args[0]).body();
                          std::printf("%s\n", body.c_str());
                          return 0;
                      }});
    }

private:
    vtp::Response greet(const std::string& name)
    {
        if (name.empty() || name.size() > maxName_)
            throw vtp::BadRequest("name must be 1 to " + std::to_string(maxName_) + " bytes", "invalid-name");
        const auto rows = host_->db().query(
            "INSERT INTO hello_greetings (name, count, last_greeted_at) VALUES (?, 1, ?) "
            "ON CONFLICT (name) DO UPDATE SET count = hello_greetings.count + 1, last_greeted_at = excluded.last_greeted_at "
            "RETURNING count",
            {name, nowUtc()});
        return vtp::Response::json({{"greeting", greeting_ + ", " + name + "!"}, {"count", rows.at(0)[0].asInt()}});
    }

    vtp::Response list(const vtp::Request& req)
    {
        const int64_t limit = req.queryInt("limit", 20, 1, 100);
        const int64_t offset = req.queryInt("cursor", 0, 0, INT32_MAX);
        const auto rows =
            host_->db().query("SELECT name, count FROM hello_greetings ORDER BY count DESC, name LIMIT ? OFFSET ?", {limit + 1, offset});
        vtp::Json items = vtp::Json::array();
        for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(limit); ++i)
            items.push({{"name", rows[i]["name"].asString()}, {"count", rows[i]["count"].asInt()}});
        vtp::Json page{{"items", items}};
        page.set("next_cursor", rows.size() > static_cast<size_t>(limit) ? vtp::Json(std::to_string(offset + limit)) : vtp::Json());
        return vtp::Response::json(page);
    }

    vtp::Host* host_ = nullptr;
    std::string greeting_;
    size_t maxName_ = 64;
};

} // namespace

VTP_PLUGIN(HelloPlugin)

// Routes under /api/v1/users (the caller's own account, and the admin's view of everyone) and
// /api/v1/invites.
#include "AuthService.hpp"

#include "CryptoUtil.hpp"

#include <algorithm>
#include <filesystem>
#include <regex>

namespace vtp::auth {

namespace {

constexpr size_t kSmallBody = 16 * 1024;
constexpr int64_t kMaxPage = 200;

const char* kUserSchema =
    R"({"type":"object","required":["id","email","display_name","roles","locale","time_zone","avatar_url","created_at"],"properties":{"id":{"type":"string"},"email":{"type":"string"},"display_name":{"type":"string"},"roles":{"type":"array","items":{"type":"string"}},"locale":{"type":["string","null"]},"time_zone":{"type":["string","null"]},"avatar_url":{"type":["string","null"]},"created_at":{"type":"integer"},"disabled":{"type":"boolean"},"updated_at":{"type":"integer"}}})";
const char* kDisplayName = R"("display_name":{"type":"string","minLength":1,"maxLength":100})";

Json requireObject(const Request& req)
{
    Json body = req.json();
    if (!body.isObject()) throw BadRequest("the body must be a JSON object", "invalid-body");
    return body;
}

// A profile field: absent (keep), null (clear) or a string that `valid` accepts.
std::optional<std::optional<std::string>> optionalField(const Json& body, const char* key, size_t maxBytes,
                                                        const std::function<bool(const std::string&)>& valid, const char* what)
{
    if (!body.has(key)) return std::nullopt;
    const Json v = body[key];
    if (v.isNull()) return std::optional<std::string>();
    if (!v.isString() || v.asString().size() > maxBytes || !valid(v.asString())) {
        std::string type = "invalid-" + std::string(key); // a slug: invalid-time-zone, invalid-avatar-url
        std::replace(type.begin(), type.end(), '_', '-');
        throw Unprocessable(std::string("'") + key + "' must be " + what, type);
    }
    return std::optional<std::string>(v.asString());
}

bool validLocale(const std::string& s)
{
    static const std::regex re("^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$");
    return std::regex_match(s, re);
}

// An IANA zone name that exists in the system's time zone database.
bool validTimeZone(const std::string& s)
{
    static const std::regex re("^[A-Za-z][A-Za-z0-9_+\\-]*(/[A-Za-z0-9_+\\-]+){0,2}$");
    if (s == "UTC") return true;
    if (!std::regex_match(s, re)) return false;
    std::error_code ec;
    return std::filesystem::is_regular_file("/usr/share/zoneinfo/" + s, ec);
}

bool validUrl(const std::string& s)
{
    static const std::regex re("^https?://[^\\s/?#]+[^\\s]*$");
    return std::regex_match(s, re);
}

std::string likePattern(const std::string& q)
{
    std::string out = "%";
    for (char c : asciiLower(q)) {
        if (c == '%' || c == '_' || c == '!') out += '!';
        out += c;
    }
    return out + "%";
}

} // namespace

void AuthService::registerUserRoutes()
{
    auto route = [this](Route r, Response (AuthService::*fn)(const Request&)) {
        if (r.maxBodyBytes == 0 && r.body == Body::Json) r.maxBodyBytes = kSmallBody;
        host_.route(r, [this, fn](const Request& req) { return (this->*fn)(req); });
    };
    route({.method = "GET",
           .path = "/api/v1/users/me",
           .role = Role::Authenticated,
           .summary = "The caller's account",
           .responseSchema = kUserSchema,
           .errors = {{404, "not-found"}}},
          &AuthService::me);
    route(
        {.method = "PATCH",
         .path = "/api/v1/users/me",
         .role = Role::Authenticated,
         .summary = "Changes the caller's display name, locale, time zone or avatar URL",
         .body = Body::Json,
         .requestSchema =
             std::string(R"({"type":"object","additionalProperties":false,"properties":{)") + kDisplayName +
             R"(,"locale":{"type":["string","null"],"description":"a BCP 47 language tag such as de-CH"},"time_zone":{"type":["string","null"],"description":"an IANA time zone such as Europe/Zurich"},"avatar_url":{"type":["string","null"],"maxLength":2048,"description":"an http(s) URL"}}})",
         .responseSchema = kUserSchema,
         .errors = {{400, "invalid-body"},
                    {404, "not-found"},
                    {422, "invalid-field"},
                    {422, "invalid-display-name"},
                    {422, "invalid-locale"},
                    {422, "invalid-time-zone"},
                    {422, "invalid-avatar-url"}}},
        &AuthService::updateMe);
    route(
        {.method = "POST",
         .path = "/api/v1/users/me/password",
         .role = Role::Authenticated,
         .summary = "Changes the caller's password and ends every other session",
         .body = Body::Json,
         .requestSchema =
             R"({"type":"object","properties":{"current_password":{"type":"string"},"new_password":{"type":"string"}},"required":["current_password","new_password"]})",
         .successStatus = 204,
         .errors = {{400, "invalid-body"},
                    {403, "forbidden"},
                    {404, "not-found"},
                    {422, "weak-password"},
                    {429, "rate-limited"},
                    {503, "unavailable"}}},
        &AuthService::changePassword);
    route({.method = "GET",
           .path = "/api/v1/users",
           .role = "admin",
           .summary = "Accounts (?q matches email or name, ?role, ?limit, ?cursor), by email",
           .responseSchema =
               std::string(R"({"type":"object","required":["users","next_cursor"],"properties":{"users":{"type":"array","items":)") +
               kUserSchema + R"(},"next_cursor":{"type":["string","null"]}}})",
           .errors = {{400, "invalid-parameter"}},
           .query = pageQuery({{"q", Query::String, "only users whose email or name contains this text"},
                               {"role", Query::String, "only users holding this role"}},
                              50, kMaxPage)},
          &AuthService::listUsers);
    route({.method = "GET",
           .path = "/api/v1/users/{id}",
           .role = "admin",
           .summary = "One account",
           .responseSchema = kUserSchema,
           .errors = {{404, "not-found"}}},
          &AuthService::getUser);
    route(
        {.method = "PATCH",
         .path = "/api/v1/users/{id}",
         .role = "admin",
         .summary = "Changes an account's roles, disabled flag or display name; disabling ends its sessions",
         .body = Body::Json,
         .requestSchema =
             std::string(
                 R"({"type":"object","additionalProperties":false,"properties":{"roles":{"type":"array","items":{"type":"string","enum":["admin","instructor","student"]}},"disabled":{"type":"boolean"},)") +
             kDisplayName + "}}",
         .responseSchema = kUserSchema,
         .errors = {{400, "invalid-body"},
                    {404, "not-found"},
                    {422, "invalid-field"},
                    {422, "invalid-role"},
                    {422, "self-lockout"},
                    {422, "invalid-display-name"}}},
        &AuthService::updateUser);
    route(
        {.method = "POST",
         .path = "/api/v1/invites",
         .role = "admin",
         .summary = "Creates a single-use invite code (shown once) for registration in invite mode",
         .body = Body::Json,
         .requestSchema =
             R"({"type":"object","properties":{"email":{"type":["string","null"]},"roles":{"type":"array","minItems":1,"items":{"type":"string","enum":["admin","instructor","student"]}},"ttl_seconds":{"type":"integer","minimum":60,"maximum":7776000}}})",
         .responseSchema =
             R"({"type":"object","required":["id","code","email","roles","expires_at"],"properties":{"id":{"type":"string"},"code":{"type":"string"},"email":{"type":["string","null"]},"expires_at":{"type":"integer"},"roles":{"type":"array","items":{"type":"string"}}}})",
         .successStatus = 201,
         .errors = {{400, "invalid-body"}, {422, "invalid-role"}, {422, "invalid-email"}, {422, "invalid-field"}}},
        &AuthService::createInvite);
}

Response AuthService::me(const Request& req)
{
    const auto u = findUserById(std::string(req.subject()));
    if (!u) throw NotFound("the account no longer exists");
    return Response::json(userJson(*u, false));
}

Response AuthService::updateMe(const Request& req)
{
    const Json body = requireObject(req);
    for (const auto& k : body.keys())
        if (k != "display_name" && k != "locale" && k != "time_zone" && k != "avatar_url")
            throw Unprocessable("'" + k + "' cannot be changed here", "invalid-field");
    auto u = findUserById(std::string(req.subject()));
    if (!u) throw NotFound("the account no longer exists");
    if (body.has("display_name")) {
        const Json v = body["display_name"];
        const auto n = v.isString() ? utf8Length(v.asString()) : std::nullopt;
        if (!n || *n < 1 || *n > 100) throw Unprocessable("'display_name' must be a string of 1 to 100 characters", "invalid-display-name");
        for (char ch : v.asString())
            if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F)
                throw Unprocessable("'display_name' must not contain control characters", "invalid-display-name");
        u->displayName = v.asString();
    }
    if (auto v = optionalField(body, "locale", 35, validLocale, "a language tag such as \"en\" or \"de-CH\", or null")) u->locale = *v;
    if (auto v = optionalField(body, "time_zone", 64, validTimeZone, "an IANA time zone such as \"Europe/Zurich\", or null"))
        u->timeZone = *v;
    if (auto v = optionalField(body, "avatar_url", 2048, validUrl, "an http(s) URL, or null")) u->avatarUrl = *v;
    u->updatedAt = unixNow();
    host_.db().exec("UPDATE auth_users SET display_name = ?, locale = ?, time_zone = ?, avatar_url = ?, updated_at = ? WHERE id = ?",
                    {u->displayName, u->locale, u->timeZone, u->avatarUrl, u->updatedAt, u->id});
    return Response::json(userJson(*u, false));
}

Response AuthService::changePassword(const Request& req)
{
    const AccessClaims claims = *callerClaims(req);
    const Json body = requireObject(req);
    if (!body["current_password"].isString() || !body["new_password"].isString())
        throw BadRequest("'current_password' and 'new_password' are required strings", "invalid-body");
    const std::string current = body["current_password"].asString();
    const std::string next = body["new_password"].asString();
    if (current.size() > maxPasswordBytes_ || next.size() > maxPasswordBytes_)
        throw Unprocessable("the password is too long", "weak-password");
    const auto u = findUserById(claims.subject);
    if (!u) throw NotFound("the account no longer exists");
    const int64_t now = unixNow();
    const std::string accountKey = LoginThrottle::accountKey(u->email);
    if (const int64_t wait = throttle_->retryAfter(accountKey, now); wait > 0)
        throw TooManyRequests("too many wrong passwords for this account", wait);
    if (!checkPassword(u->passwordHash, current)) {
        throttle_->recordFailure(accountKey, throttle_->limits().accountFreeFailures, throttle_->limits().maxLockoutSeconds, now);
        throw Forbidden("the current password is wrong");
    }
    if (auto why = policy_->check(next, u->email)) throw Unprocessable(*why, "weak-password");
    host_.db().exec("UPDATE auth_users SET password_hash = ?, updated_at = ? WHERE id = ?", {hashPassword(next), now, u->id});
    revokeSessions(sessions_->revokeAllOfUser(u->id, claims.sessionId, "password changed", now), u->id, "password-changed", now);
    return Response::noContent();
}

Response AuthService::listUsers(const Request& req)
{
    const int64_t limit = req.queryInt("limit", 50, 1, kMaxPage);
    std::string sql = std::string("SELECT id, email, display_name, password_hash, roles, disabled, locale, time_zone, avatar_url, "
                                  "created_at, updated_at FROM auth_users WHERE 1 = 1");
    std::vector<std::string> args; // kept alive for the Params below
    args.reserve(4);
    if (const auto q = req.query("q"); q && !q->empty()) {
        if (q->size() > 200) throw BadRequest("'q' is too long", "invalid-parameter");
        args.push_back(likePattern(*q));
        sql += " AND (LOWER(email) LIKE ? ESCAPE '!' OR LOWER(display_name) LIKE ? ESCAPE '!')";
        args.push_back(args.back());
    }
    if (const auto role = req.query("role"); role && !role->empty()) {
        if (std::find(knownRoles().begin(), knownRoles().end(), *role) == knownRoles().end())
            throw BadRequest("'role' must be one of admin, instructor, student", "invalid-parameter");
        args.push_back("%," + *role + ",%");
        sql += " AND roles LIKE ?";
    }
    if (const auto cursor = req.query("cursor"); cursor && !cursor->empty()) {
        if (cursor->size() > 400) throw BadRequest("invalid cursor; pass next_cursor unchanged", "invalid-parameter");
        args.push_back(*cursor);
        sql += " AND email > ?";
    }
    sql += " ORDER BY email LIMIT " + std::to_string(limit + 1);
    std::vector<Param> params(args.begin(), args.end());
    const Rows rows = host_.db().query(sql, params);
    Json users = Json::array();
    const size_t n = std::min<size_t>(rows.size(), static_cast<size_t>(limit));
    std::string last;
    for (size_t i = 0; i < n; ++i) {
        const UserRecord u = userFromRow(rows, i);
        last = u.email;
        users.push(userJson(u, true));
    }
    return Response::json(Json{{"users", users}, {"next_cursor", rows.size() > n ? Json(last) : Json()}});
}

Response AuthService::getUser(const Request& req)
{
    const auto u = findUserById(req.param("id"));
    if (!u) throw NotFound("no such user");
    return Response::json(userJson(*u, true));
}

Response AuthService::updateUser(const Request& req)
{
    const Json body = requireObject(req);
    for (const auto& k : body.keys())
        if (k != "roles" && k != "disabled" && k != "display_name")
            throw Unprocessable("'" + k + "' cannot be changed here", "invalid-field");
    auto u = findUserById(req.param("id"));
    if (!u) throw NotFound("no such user");
    const bool self = u->id == req.subject();
    if (body.has("roles")) {
        const Json roles = body["roles"];
        if (!roles.isArray()) throw Unprocessable("'roles' must be an array of role names", "invalid-role");
        std::vector<std::string> next;
        for (size_t i = 0; i < roles.size(); ++i) {
            const Json r = roles.at(i);
            if (!r.isString() || std::find(knownRoles().begin(), knownRoles().end(), r.asString()) == knownRoles().end())
                throw Unprocessable("'roles' may hold only admin, instructor and student", "invalid-role");
            if (std::find(next.begin(), next.end(), r.asString()) == next.end()) next.push_back(r.asString());
        }
        if (self && std::find(next.begin(), next.end(), "admin") == next.end())
            throw Unprocessable("an admin cannot take the admin role from themselves", "self-lockout");
        u->roles = next;
    }
    bool disabling = false;
    if (body.has("disabled")) {
        if (!body["disabled"].isBool()) throw Unprocessable("'disabled' must be a boolean", "invalid-field");
        if (self && body["disabled"].asBool()) throw Unprocessable("an admin cannot disable themselves", "self-lockout");
        disabling = body["disabled"].asBool() && !u->disabled;
        u->disabled = body["disabled"].asBool();
    }
    if (body.has("display_name")) {
        const Json v = body["display_name"];
        const auto n = v.isString() ? utf8Length(v.asString()) : std::nullopt;
        if (!n || *n < 1 || *n > 100) throw Unprocessable("'display_name' must be a string of 1 to 100 characters", "invalid-display-name");
        u->displayName = v.asString();
    }
    const int64_t now = unixNow();
    std::string roles = ",";
    for (const auto& r : u->roles) roles += r + ",";
    host_.db().exec("UPDATE auth_users SET roles = ?, disabled = ?, display_name = ?, updated_at = ? WHERE id = ?",
                    {roles, u->disabled ? 1 : 0, u->displayName, now, u->id});
    u->updatedAt = now;
    if (disabling) {
        revokeSessions(sessions_->revokeAllOfUser(u->id, "", "account disabled", now), u->id, "account-disabled", now);
        // Also for what no session lists any more (a purged one whose access token still runs).
        host_.publish("user.disabled", Json{{"user_id", u->id}});
    }
    host_.log().info("user changed by admin", {{"user_id", u->id}, {"admin", std::string(req.subject())}});
    return Response::json(userJson(*u, true));
}

Response AuthService::createInvite(const Request& req)
{
    const Json body = requireObject(req);
    std::vector<std::string> roles = registrationRoles_;
    if (body.has("roles")) {
        const Json r = body["roles"];
        if (!r.isArray() || r.size() == 0) throw Unprocessable("'roles' must be a non-empty array of role names", "invalid-role");
        roles.clear();
        for (size_t i = 0; i < r.size(); ++i) {
            if (!r.at(i).isString() || std::find(knownRoles().begin(), knownRoles().end(), r.at(i).asString()) == knownRoles().end())
                throw Unprocessable("'roles' may hold only admin, instructor and student", "invalid-role");
            roles.push_back(r.at(i).asString());
        }
    }
    std::optional<std::string> email;
    if (body.has("email") && !body["email"].isNull()) {
        if (!body["email"].isString() || !(email = normaliseEmail(body["email"].asString())))
            throw Unprocessable("'email' is not a valid address", "invalid-email");
    }
    int64_t ttl = inviteTtl_;
    if (body.has("ttl_seconds")) ttl = body.intField("ttl_seconds", 60, 90 * 86400);
    const std::string code = randomToken(18);
    const std::string id = randomUuid();
    const int64_t now = unixNow();
    std::string joined = ",";
    for (const auto& r : roles) joined += r + ",";
    host_.db().exec(
        "INSERT INTO auth_invites (code_hash, id, created_by, email, roles, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        {sha256Hex(code), id, std::string(req.subject()), email, joined, now, now + ttl});
    return Response::created(Json{
        {"id", id}, {"code", code}, {"email", email ? Json(*email) : Json()}, {"roles", Json::arrayOf(roles)}, {"expires_at", now + ttl}});
}

} // namespace vtp::auth

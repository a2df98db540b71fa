// Routes under /api/v1/auth: registration, login, refresh, logout, sessions, password reset,
// and the public signing keys.
#include "AuthService.hpp"

#include "CryptoUtil.hpp"

namespace vtp::auth {

namespace {

constexpr size_t kSmallBody = 16 * 1024;

const char* kTokenSchema =
    R"({"type":"object","properties":{"access_token":{"type":"string"},"refresh_token":{"type":"string"},"token_type":{"type":"string","enum":["Bearer"]},"expires_in":{"type":"integer"},"session_id":{"type":"string"}},"required":["access_token","refresh_token","token_type","expires_in"]})";

// A required string member of a JSON body, with a clear 400 when it is missing or not a string.
std::string requireString(const Json& body, const char* key, size_t maxBytes = 4096)
{
    const Json v = body[key];
    if (!v.isString()) throw BadRequest(std::string("'") + key + "' is required and must be a string", "invalid-body");
    std::string s = v.asString();
    if (s.size() > maxBytes) throw BadRequest(std::string("'") + key + "' is too long", "invalid-body");
    return s;
}

Json requireObject(const Request& req)
{
    Json body = req.json();
    if (!body.isObject()) throw BadRequest("the body must be a JSON object", "invalid-body");
    return body;
}

} // namespace

void AuthService::registerAuthRoutes()
{
    auto route = [this](Route r, Response (AuthService::*fn)(const Request&)) {
        if (r.maxBodyBytes == 0 && r.body == Body::Json) r.maxBodyBytes = kSmallBody;
        host_.route(r, [this, fn](const Request& req) { return (this->*fn)(req); });
    };
    route(
        {.method = "POST",
         .path = "/api/v1/auth/register",
         .role = Role::Public,
         .summary = "Creates an account (registration mode open, or invite with invite_code)",
         .body = Body::Json,
         .requestSchema =
             R"({"type":"object","properties":{"email":{"type":"string","format":"email"},"password":{"type":"string"},"display_name":{"type":"string","minLength":1,"maxLength":100},"invite_code":{"type":"string"}},"required":["email","password","display_name"]})",
         .responseSchema =
             R"({"type":"object","required":["id","email","display_name","roles"],"properties":{"id":{"type":"string"},"email":{"type":"string"},"display_name":{"type":"string"},"roles":{"type":"array","items":{"type":"string"}},"locale":{"type":["string","null"]},"time_zone":{"type":["string","null"]},"avatar_url":{"type":["string","null"]},"created_at":{"type":"integer"}}})",
         .successStatus = 201,
         .errors = {{400, "invalid-body"},
                    {403, "forbidden"},
                    {409, "email-taken"},
                    {409, "invalid-invite"},
                    {422, "invalid-email"},
                    {422, "invalid-display-name"},
                    {422, "weak-password"},
                    {422, "invalid-role"},
                    {429, "rate-limited"},
                    {503, "unavailable"}},
         .cacheControl = "no-store"},
        &AuthService::registerAccount);
    route({.method = "POST",
           .path = "/api/v1/auth/login",
           .role = Role::Public,
           .summary = "Exchanges email and password for an access token and a refresh token",
           .body = Body::Json,
           .requestSchema =
               R"({"type":"object","properties":{"email":{"type":"string"},"password":{"type":"string"}},"required":["email","password"]})",
           .responseSchema = kTokenSchema,
           .errors = {{400, "invalid-body"},
                      {400, "invalid-email"},
                      {401, "unauthorized"},
                      {403, "forbidden"},
                      {429, "rate-limited"},
                      {503, "unavailable"}}},
          &AuthService::login);
    route({.method = "POST",
           .path = "/api/v1/auth/refresh",
           .role = Role::Public,
           .summary = "Rotates a refresh token: a new access token and refresh token; a reused one revokes its session",
           .body = Body::Json,
           .requestSchema = R"({"type":"object","properties":{"refresh_token":{"type":"string"}},"required":["refresh_token"]})",
           .responseSchema = kTokenSchema,
           .errors = {{400, "invalid-body"}, {401, "unauthorized"}}},
          &AuthService::refresh);
    route({.method = "POST",
           .path = "/api/v1/auth/logout",
           .role = Role::Authenticated,
           .summary = "Ends the caller's session; its access tokens are refused from now on",
           .successStatus = 204},
          &AuthService::logout);
    route({.method = "GET",
           .path = "/api/v1/auth/sessions",
           .role = Role::Authenticated,
           .summary = "The caller's live sessions (logins), newest first",
           .responseSchema =
               R"({"type":"object","required":["sessions"],"properties":{"sessions":{"type":"array","items":{"type":"object"}}}})"},
          &AuthService::listSessions);
    route({.method = "DELETE",
           .path = "/api/v1/auth/sessions/{id}",
           .role = Role::Authenticated,
           .summary = "Ends one of the caller's sessions",
           .successStatus = 204,
           .errors = {{404, "not-found"}}},
          &AuthService::endSession);
    route({.method = "POST",
           .path = "/api/v1/auth/password-reset",
           .role = Role::Public,
           .summary = "Mails a single-use reset link if the account exists; always answers 202",
           .body = Body::Json,
           .requestSchema = R"({"type":"object","properties":{"email":{"type":"string"}},"required":["email"]})",
           .responseSchema = R"({"type":"object","required":["status"],"properties":{"status":{"const":"accepted"}}})",
           .successStatus = 202,
           .errors = {{400, "invalid-body"}, {400, "invalid-email"}}},
          &AuthService::requestPasswordReset);
    route(
        {.method = "POST",
         .path = "/api/v1/auth/password-reset/confirm",
         .role = Role::Public,
         .summary = "Sets a new password with a reset token and ends every session",
         .body = Body::Json,
         .requestSchema =
             R"({"type":"object","properties":{"token":{"type":"string"},"new_password":{"type":"string"}},"required":["token","new_password"]})",
         .successStatus = 204,
         .errors = {{400, "invalid-body"}, {400, "invalid-token"}, {422, "weak-password"}, {503, "unavailable"}}},
        &AuthService::confirmPasswordReset);
    host_.route(
        {.method = "GET",
         .path = "/.well-known/jwks.json",
         .role = Role::Public,
         .summary = "The public keys that verify VTP access tokens (JWK Set; empty with HS256)",
         .responseSchema = R"({"type":"object","required":["keys"],"properties":{"keys":{"type":"array","items":{"type":"object"}}}})",
         .cacheControl = "public, max-age=300"},
        [this](const Request&) { return Response::json(tokens_->jwks()).header("Cache-Control", "public, max-age=300"); });
}

Response AuthService::registerAccount(const Request& req)
{
    if (registration_ == "closed") throw Forbidden("registration is closed; ask an administrator for an account");
    const Json body = requireObject(req);
    const std::string email = requireString(body, "email", 320);
    const std::string password = requireString(body, "password", maxPasswordBytes_);
    const std::string name = requireString(body, "display_name", 400);
    // Throttled like logins (LoginThrottle): the client address first, then the email address, each
    // checked before anything is looked up, so that a throttled client learns nothing.
    const int64_t now = unixNow();
    const std::string addressKey = LoginThrottle::registrationAddressKey(std::string(req.remoteAddress()));
    const std::string emailKey = LoginThrottle::registrationEmailKey(normaliseEmail(email).value_or(email));
    if (const int64_t wait = throttle_->retryAfter(addressKey, now); wait > 0)
        throw TooManyRequests("too many refused registrations from this address", wait);
    if (const int64_t wait = throttle_->retryAfter(emailKey, now); wait > 0)
        throw TooManyRequests("too many registration attempts for this email address", wait);
    try {
        return createAccount(body, email, password, name);
    } catch (const HttpError& e) {
        // The refusals that tell something about accounts or invites count; a malformed body or a
        // weak password does not (a person retrying one is no prober).
        if (e.status() == 409 || e.status() == 403) {
            const ThrottleLimits& l = throttle_->limits();
            throttle_->recordFailure(addressKey, l.registrationAddressFreeFailures, l.addressMaxLockoutSeconds, now);
            throttle_->recordFailure(emailKey, l.registrationEmailFreeFailures, l.maxLockoutSeconds, now);
        }
        throw;
    }
}

Response AuthService::createAccount(const Json& body, const std::string& email, const std::string& password, const std::string& name)
{
    std::vector<std::string> roles = registrationRoles_;
    std::string codeHash;
    if (registration_ == "invite") {
        if (!body["invite_code"].isString()) throw Forbidden("registration needs an invite code");
        codeHash = sha256Hex(body["invite_code"].asString());
        const Rows rows = host_.db().query("SELECT roles, email, used_at, expires_at FROM auth_invites WHERE code_hash = ?", {codeHash});
        if (rows.empty() || !rows[0][2].isNull() || rows[0][3].asInt() < unixNow())
            throw Forbidden("the invite code is invalid, used or expired");
        const auto invitedEmail = rows[0][1].asOptionalString();
        if (invitedEmail && normaliseEmail(email) != *invitedEmail) throw Forbidden("this invite is for another email address");
        roles.clear();
        std::istringstream in(rows[0][0].asString());
        for (std::string r; std::getline(in, r, ',');)
            if (!r.empty()) roles.push_back(r);
    }
    const UserRecord u = createUser(email, name, password, roles, codeHash);
    return Response::created(userJson(u, false), "/api/v1/users/" + u.id);
}

Response AuthService::login(const Request& req)
{
    const Json body = requireObject(req);
    const std::string emailIn = requireString(body, "email", 320);
    const std::string password = requireString(body, "password", maxPasswordBytes_);
    const auto email = normaliseEmail(emailIn);
    if (!email) throw BadRequest("email is not a valid address", "invalid-email");
    const int64_t now = unixNow();
    const std::string addressKey = LoginThrottle::addressKey(std::string(req.remoteAddress()));
    const std::string accountKey = LoginThrottle::accountKey(*email);
    // The address first: an attempt refused for its address never counts against the account.
    if (const int64_t wait = throttle_->retryAfter(addressKey, now); wait > 0) {
        logins_.inc(1, {{"result", "throttled"}});
        throw TooManyRequests("too many failed logins from this address", wait);
    }
    if (const int64_t wait = throttle_->retryAfter(accountKey, now); wait > 0) {
        logins_.inc(1, {{"result", "throttled"}});
        throw TooManyRequests("too many failed logins for this account", wait);
    }
    const auto user = findUserByEmail(*email);
    bool ok = false;
    if (user)
        ok = checkPassword(user->passwordHash, password);
    else {
        try {
            hasher_->verifyDummy(password); // an unknown email costs the same time
        } catch (const HasherBusy&) {
            throw ServiceUnavailable("too many password checks in progress; try again shortly", 2);
        }
    }
    if (!ok) {
        throttle_->recordFailure(addressKey, throttle_->limits().addressFreeFailures, throttle_->limits().addressMaxLockoutSeconds, now);
        throttle_->recordFailure(accountKey, throttle_->limits().accountFreeFailures, throttle_->limits().maxLockoutSeconds, now);
        logins_.inc(1, {{"result", "failure"}});
        throw Unauthorized("the email or the password is wrong");
    }
    if (user->disabled) {
        logins_.inc(1, {{"result", "disabled"}});
        throw Forbidden("this account is disabled");
    }
    throttle_->clear(accountKey);
    if (hasher_->needsRehash(user->passwordHash)) {
        // Parameters were raised since this hash was made: upgrade it while we know the password.
        host_.db().exec("UPDATE auth_users SET password_hash = ?, updated_at = ? WHERE id = ?", {hashPassword(password), now, user->id});
    }
    const NewSession s = sessions_->create(user->id, req.header("user-agent").value_or(""), std::string(req.remoteAddress()), now);
    logins_.inc(1, {{"result", "success"}});
    host_.publish("user.logged_in", Json{{"user_id", user->id}, {"session_id", s.sessionId}});
    return Response::json(tokenResponse(*user, s.sessionId, s.refreshToken, now)).header("Cache-Control", "no-store");
}

Response AuthService::refresh(const Request& req)
{
    const Json body = requireObject(req);
    const std::string token = requireString(body, "refresh_token", 512);
    const int64_t now = unixNow();
    const Rotation r = sessions_->rotate(token, now);
    switch (r.outcome) {
    case Rotation::Outcome::Rotated: break;
    case Rotation::Outcome::Replayed:
        // Someone holds a copy of a rotated token: end the whole login for both of them.
        revokeSessions(sessions_->revoke(r.sessionId, "refresh token reused", now), r.userId, "refresh-reuse", now);
        host_.log().warn("refresh token reuse: session revoked", {{"session_id", r.sessionId}, {"user_id", r.userId}});
        throw Unauthorized("refresh token reuse detected; the session has been revoked");
    case Rotation::Outcome::Revoked: throw Unauthorized("the session has been revoked");
    case Rotation::Outcome::Expired: throw Unauthorized("the refresh token has expired");
    case Rotation::Outcome::Disabled: throw Unauthorized("this account is disabled");
    case Rotation::Outcome::Unknown: throw Unauthorized("invalid refresh token");
    }
    const auto user = findUserById(r.userId);
    if (!user) throw Unauthorized("invalid refresh token");
    return Response::json(tokenResponse(*user, r.sessionId, r.refreshToken, now)).header("Cache-Control", "no-store");
}

Response AuthService::logout(const Request& req)
{
    const AccessClaims claims = *callerClaims(req);
    const int64_t now = unixNow();
    sessions_->revoke(claims.sessionId, "logout", now);
    revokeSessions({claims.sessionId}, claims.subject, "logout", now);
    return Response::noContent();
}

Response AuthService::listSessions(const Request& req)
{
    const AccessClaims claims = *callerClaims(req);
    return Response::json(Json{{"sessions", sessions_->list(claims.subject, claims.sessionId, unixNow())}});
}

Response AuthService::endSession(const Request& req)
{
    const std::string id = req.param("id");
    const auto owner = sessions_->ownerOf(id);
    // Another user's session is reported as missing, not forbidden: ids are not to be probed.
    if (!owner || *owner != req.subject()) throw NotFound("no such session");
    const int64_t now = unixNow();
    revokeSessions(sessions_->revoke(id, "ended by user", now), *owner, "session-ended", now);
    return Response::noContent();
}

Response AuthService::requestPasswordReset(const Request& req)
{
    const Json body = requireObject(req);
    const auto email = normaliseEmail(requireString(body, "email", 320));
    if (!email) throw BadRequest("email is not a valid address", "invalid-email");
    // All the work happens on the mail thread, so the answer is the same, in the same time,
    // whether or not the account exists.
    if (!mailer_->post([this, e = *email] { sendPasswordReset(e); })) host_.log().warn("password reset dropped: the mail queue is full");
    return Response::json(Json{{"status", "accepted"}}, 202);
}

void AuthService::sendPasswordReset(const std::string& email)
{
    const auto user = findUserByEmail(email);
    if (!user || user->disabled) return;
    const int64_t now = unixNow();
    // At most one mail a minute per account: the route cannot be used to flood a mailbox.
    const Rows recent =
        host_.db().query("SELECT COUNT(*) FROM auth_password_resets WHERE user_id = ? AND created_at > ?", {user->id, now - 60});
    if (!recent.empty() && recent[0][0].asInt() > 0) return;
    const std::string token = randomToken(32);
    host_.db().exec("INSERT INTO auth_password_resets (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                    {sha256Hex(token), user->id, now, now + resetTtl_});
    host_.publish("auth.password_reset_requested", Json{{"user_id", user->id}});
    std::string link = resetUrlTemplate_;
    if (const auto pos = link.find("{token}"); pos != std::string::npos)
        link.replace(pos, 7, token);
    else
        link += token;
    if (!mailer_->enabled()) {
        host_.log().warn("password reset requested but no SMTP server is configured", {{"user_id", user->id}});
        return;
    }
    mailer_->send({user->email, "Reset your VTP password",
                   "Hello " + user->displayName +
                       ",\r\n\r\nSomeone asked to reset the password of your VTP account. "
                       "If it was you, open this link within " +
                       std::to_string(resetTtl_ / 60) + " minutes:\r\n\r\n" + link + "\r\n\r\nReset token: " + token +
                       "\r\n\r\nIf it was not you, ignore this mail; your password stays as it is.\r\n"});
}

Response AuthService::confirmPasswordReset(const Request& req)
{
    const Json body = requireObject(req);
    const std::string token = requireString(body, "token", 512);
    const std::string password = requireString(body, "new_password", maxPasswordBytes_);
    const int64_t now = unixNow();
    const std::string hash = sha256Hex(token);
    const Rows rows = host_.db().query(
        "SELECT user_id FROM auth_password_resets WHERE token_hash = ? AND used_at IS NULL AND expires_at >= ?", {hash, now});
    if (rows.empty()) throw BadRequest("the reset token is invalid, used or expired", "invalid-token");
    const auto user = findUserById(rows[0][0].asString());
    if (!user) throw BadRequest("the reset token is invalid, used or expired", "invalid-token");
    if (auto why = policy_->check(password, user->email)) throw Unprocessable(*why, "weak-password");
    const std::string newHash = hashPassword(password);
    host_.db().transaction([&](Tx& tx) {
        if (tx.exec("UPDATE auth_password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL", {now, hash}) != 1)
            throw BadRequest("the reset token is invalid, used or expired", "invalid-token");
        tx.exec("UPDATE auth_users SET password_hash = ?, updated_at = ? WHERE id = ?", {newHash, now, user->id});
    });
    revokeSessions(sessions_->revokeAllOfUser(user->id, "", "password reset", now), user->id, "password-reset", now);
    throttle_->clear(LoginThrottle::accountKey(user->email));
    host_.log().info("password reset", {{"user_id", user->id}});
    return Response::noContent();
}

} // namespace vtp::auth

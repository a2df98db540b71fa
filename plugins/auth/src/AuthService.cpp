#include "AuthService.hpp"

#include "CryptoUtil.hpp"

#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

extern const char* vtpAuthCommonPasswords(); // generated from data/common-passwords.txt

namespace vtp::auth {

int64_t unixNow()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

const std::vector<std::string>& AuthService::knownRoles()
{
    static const std::vector<std::string> roles{"admin", "instructor", "student"};
    return roles;
}

namespace {

std::string readTextFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) throw PluginError("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string joinRoles(const std::vector<std::string>& roles)
{
    std::string out = ",";
    for (const auto& r : roles) out += r + ",";
    return out;
}

std::vector<std::string> splitRoles(const std::string& stored)
{
    std::vector<std::string> out;
    std::istringstream in(stored);
    for (std::string r; std::getline(in, r, ',');)
        if (!r.empty()) out.push_back(r);
    return out;
}

bool copyOut(std::string_view text, char* out, size_t cap)
{
    if (!out || cap == 0) return false;
    const size_t n = std::min(text.size(), cap - 1);
    std::memcpy(out, text.data(), n);
    out[n] = '\0';
    return n == text.size();
}

} // namespace

AuthService::AuthService(Host& host) : host_(host)
{
    const Config& c = host.config();
    registration_ = c.getString("registration");
    registrationRoles_ = c.getStringArray("registration_roles");
    for (const auto& r : registrationRoles_)
        if (std::find(knownRoles().begin(), knownRoles().end(), r) == knownRoles().end())
            throw PluginError("registration_roles: unknown role '" + r + "'");
    resetUrlTemplate_ = c.getString("reset.url");
    resetTtl_ = c.getInt("reset.ttl_seconds");
    inviteTtl_ = c.getInt("invites.ttl_seconds");
    pollSeconds_ = c.getInt("tokens.revocation_poll_seconds");

    const auto minLength = static_cast<size_t>(c.getInt("password.min_length"));
    const auto maxLength = static_cast<size_t>(c.getInt("password.max_length"));
    if (minLength > maxLength) throw PluginError("password.min_length is greater than password.max_length");
    maxPasswordBytes_ = maxLength * 4;
    policy_ = std::make_unique<PasswordPolicy>(minLength, maxLength);
    policy_->addBlocklist(vtpAuthCommonPasswords());
    if (const auto extra = c.getString("password.blocklist_file"); !extra.empty()) policy_->addBlocklist(readTextFile(extra));

    Argon2Params params;
    params.memoryKib = static_cast<uint32_t>(c.getInt("argon2.memory_kib"));
    params.iterations = static_cast<uint32_t>(c.getInt("argon2.iterations"));
    params.parallelism = static_cast<uint32_t>(c.getInt("argon2.parallelism"));
    unsigned concurrent = static_cast<unsigned>(c.getInt("argon2.max_concurrent"));
    if (concurrent == 0) concurrent = std::max(1u, std::thread::hardware_concurrency());
    hasher_ = std::make_unique<PasswordHasher>(params, concurrent, static_cast<unsigned>(c.getInt("argon2.max_waiting")));

    TokenOptions t;
    t.algorithm = c.getString("tokens.algorithm");
    t.keyFile = c.getString("tokens.key_file");
    t.previousKeyFiles = c.getStringArray("tokens.previous_key_files");
    t.generatedSecretPath = host.dataDir() + "/auth/jwt-hs256.secret";
    t.issuer = c.getString("tokens.issuer");
    t.audience = c.getString("tokens.audience");
    t.accessTtlSeconds = c.getInt("tokens.access_ttl_seconds");
    t.leewaySeconds = c.getInt("tokens.leeway_seconds");
    try {
        tokens_ = std::make_unique<TokenService>(t);
    } catch (const std::exception& e) {
        throw PluginError(std::string("signing keys: ") + e.what());
    }

    sessions_ = std::make_unique<SessionStore>(host.db(), c.getInt("tokens.refresh_ttl_seconds"));
    revocations_ = std::make_unique<Revocations>(host.db());
    ThrottleLimits limits;
    limits.accountFreeFailures = c.getInt("throttle.account_failures");
    limits.addressFreeFailures = c.getInt("throttle.address_failures");
    limits.windowSeconds = c.getInt("throttle.window_seconds");
    limits.baseDelaySeconds = c.getInt("throttle.base_delay_seconds");
    limits.maxLockoutSeconds = c.getInt("throttle.max_lockout_seconds");
    limits.addressMaxLockoutSeconds = c.getInt("throttle.address_max_lockout_seconds");
    limits.registrationEmailFreeFailures = c.getInt("throttle.registration_email_failures");
    limits.registrationAddressFreeFailures = c.getInt("throttle.registration_address_failures");
    throttle_ = std::make_unique<LoginThrottle>(host.db(), limits);

    SmtpOptions smtp;
    smtp.host = c.getString("smtp.host");
    smtp.port = static_cast<uint16_t>(c.getInt("smtp.port"));
    smtp.tls = c.getString("smtp.tls");
    smtp.username = c.getString("smtp.username");
    smtp.password = c.getString("smtp.password");
    smtp.from = c.getString("smtp.from");
    smtp.timeoutSeconds = c.getInt("smtp.timeout_seconds");
    mailer_ = std::make_unique<Mailer>(smtp, host.log());

    verifier_.struct_size = sizeof verifier_;
    verifier_.context = this;
    verifier_.verify = [](void* ctx, const char* token, size_t len, char* subject, size_t subjectCap, char* roles, size_t rolesCap,
                          char* reason, size_t reasonCap) -> int {
        // The older entry is the newer one without the session id and expiry.
        char sessionId[256]; // ids we issue are UUIDs
        return static_cast<AuthService*>(ctx)->verifier_.verify_session(ctx, token, len, subject, subjectCap, roles, rolesCap, sessionId,
                                                                        sizeof sessionId, nullptr, reason, reasonCap);
    };
    verifier_.verify_session = [](void* ctx, const char* token, size_t len, char* subject, size_t subjectCap, char* roles, size_t rolesCap,
                                  char* sessionId, size_t sessionCap, int64_t* expiresAt, char* reason, size_t reasonCap) -> int {
        try {
            const ClaimsPtr claims = static_cast<AuthService*>(ctx)->verifyAccess(std::string_view(token, len));
            if (!copyOut(claims->subject, subject, subjectCap) || !copyOut(claims->rolesJoined, roles, rolesCap) ||
                !copyOut(claims->sessionId, sessionId, sessionCap)) {
                copyOut("token claims too long", reason, reasonCap);
                return VTP_INVALID;
            }
            if (expiresAt) *expiresAt = claims->expiresAt;
            return VTP_OK;
        } catch (const TokenError& e) {
            copyOut(e.what(), reason, reasonCap);
            return VTP_INVALID;
        } catch (...) {
            copyOut("token could not be verified", reason, reasonCap);
            return VTP_ERROR;
        }
    };
    verifier_.session_revoked = [](void* ctx, const char* sessionId, size_t len) -> int {
        try {
            return static_cast<AuthService*>(ctx)->revocations_->isRevoked(std::string(sessionId, len)) ? 1 : 0;
        } catch (...) {
            return 0;
        }
    };
    host.offer(VTP_VERIFIER_SERVICE, VTP_VERIFIER_VERSION, &verifier_);
    directory_ = offerDirectory(host);

    logins_ = host.counter("logins_total", "Login attempts by result (success, failure, throttled, disabled)");
    revokedGauge_ = host.gauge("revoked_sessions", "Sessions whose access tokens this node refuses before they expire");

    // Another node's revocation, announced at once (the poll below is the backstop).
    host.subscribe("auth.session_revoked", [this](const Event& e) {
        const std::string sid = e.payload.stringOr("session_id", "");
        if (!sid.empty()) revocations_->remember(sid, e.payload.intOr("expires_at", unixNow() + tokens_->accessTtl()));
    });

    registerAuthRoutes();
    registerUserRoutes();
    registerCommands();
}

AuthService::~AuthService()
{
    stop();
}

void AuthService::start()
{
    revocations_->poll(0, unixNow());
    mailer_->start();
    stopping_ = false;
    loop_ = std::thread([this] { maintenanceLoop(); });
    host_.log().info("auth started", {{"registration", registration_},
                                      {"algorithm", host_.config().getString("tokens.algorithm")},
                                      {"kid", tokens_->signingKid()},
                                      {"smtp", mailer_->enabled() ? "on" : "off"}});
}

void AuthService::stop()
{
    {
        std::lock_guard lock(loopMutex_);
        stopping_ = true;
    }
    loopCv_.notify_all();
    if (loop_.joinable()) loop_.join();
    if (mailer_) mailer_->stop();
}

// Polls revocations from other nodes and purges what has expired.
void AuthService::maintenanceLoop()
{
    int64_t lastPoll = unixNow();
    int64_t lastPurge = 0;
    std::unique_lock lock(loopMutex_);
    while (!loopCv_.wait_for(lock, std::chrono::seconds(pollSeconds_), [&] { return stopping_; })) {
        lock.unlock();
        try {
            const int64_t now = unixNow();
            // A margin: a transaction on another node may commit a revocation stamped earlier.
            revocations_->poll(lastPoll - 60, now);
            lastPoll = now;
            revokedGauge_.set(static_cast<double>(revocations_->size()));
            if (now - lastPurge > 600) {
                lastPurge = now;
                sessions_->purgeExpired(now);
                host_.db().exec("DELETE FROM auth_revocations WHERE expires_at < ?", {now});
                host_.db().exec("DELETE FROM auth_password_resets WHERE expires_at < ?", {now - 86400});
                host_.db().exec("DELETE FROM auth_throttle WHERE locked_until < ? AND window_start < ?",
                                {now - throttle_->limits().windowSeconds, now - throttle_->limits().windowSeconds});
            }
        } catch (const std::exception& e) {
            host_.log().warn("auth maintenance failed", {{"error", e.what()}});
        }
        lock.lock();
    }
}

ClaimsPtr AuthService::verifyAccess(std::string_view token) const
{
    ClaimsPtr claims = tokens_->verify(token, unixNow());
    if (revocations_->isRevoked(claims->sessionId)) throw TokenError("token revoked");
    return claims;
}

ClaimsPtr AuthService::callerClaims(const Request& req) const
{
    const auto header = req.header("authorization");
    if (!header || header->size() < 8 || asciiLower(header->substr(0, 7)) != "bearer ") throw Unauthorized("a bearer token is required");
    try {
        return verifyAccess(std::string_view(*header).substr(7));
    } catch (const TokenError& e) {
        throw Unauthorized(e.what());
    }
}

void AuthService::revokeSessions(const std::vector<std::string>& ids, const std::string& userId, const char* reason, int64_t now)
{
    if (ids.empty()) return;
    // Access tokens of these sessions stay refused until the last of them has expired.
    const int64_t expiresAt = now + tokens_->accessTtl() + tokens_->leeway() + 1;
    revocations_->revokeSessions(ids, now, expiresAt);
    // Public (webhooks see it): ids and a reason code, never token material.
    for (const auto& id : ids)
        host_.publish("auth.session_revoked", Json{{"session_id", id}, {"expires_at", expiresAt}, {"user_id", userId}, {"reason", reason}});
}

std::string AuthService::hashPassword(const std::string& password)
{
    try {
        return hasher_->hash(password);
    } catch (const HasherBusy&) {
        throw ServiceUnavailable("too many password checks in progress; try again shortly", 2);
    }
}

bool AuthService::checkPassword(const std::string& encoded, const std::string& password)
{
    try {
        return hasher_->verify(encoded, password);
    } catch (const HasherBusy&) {
        throw ServiceUnavailable("too many password checks in progress; try again shortly", 2);
    }
}

UserRecord AuthService::userFromRow(const Rows& rows, size_t i)
{
    const auto row = rows[i];
    UserRecord u;
    u.id = row["id"].asString();
    u.email = row["email"].asString();
    u.displayName = row["display_name"].asString();
    u.passwordHash = row["password_hash"].asString();
    u.roles = splitRoles(row["roles"].asString());
    u.disabled = row["disabled"].asInt() != 0;
    u.locale = row["locale"].asOptionalString();
    u.timeZone = row["time_zone"].asOptionalString();
    u.avatarUrl = row["avatar_url"].asOptionalString();
    u.createdAt = row["created_at"].asInt();
    u.updatedAt = row["updated_at"].asInt();
    return u;
}

static const char* kUserColumns =
    "id, email, display_name, password_hash, roles, disabled, locale, time_zone, avatar_url, created_at, updated_at";

std::optional<UserRecord> AuthService::findUserByEmail(const std::string& email) const
{
    const Rows rows = host_.db().query(std::string("SELECT ") + kUserColumns + " FROM auth_users WHERE email = ?", {email});
    if (rows.empty()) return std::nullopt;
    return userFromRow(rows, 0);
}

std::optional<UserRecord> AuthService::findUserById(const std::string& id) const
{
    const Rows rows = host_.db().query(std::string("SELECT ") + kUserColumns + " FROM auth_users WHERE id = ?", {id});
    if (rows.empty()) return std::nullopt;
    return userFromRow(rows, 0);
}

Json AuthService::userJson(const UserRecord& u, bool full)
{
    Json j{{"id", u.id},
           {"email", u.email},
           {"display_name", u.displayName},
           {"roles", Json::arrayOf(u.roles)},
           {"locale", u.locale ? Json(*u.locale) : Json()},
           {"time_zone", u.timeZone ? Json(*u.timeZone) : Json()},
           {"avatar_url", u.avatarUrl ? Json(*u.avatarUrl) : Json()},
           {"created_at", u.createdAt}};
    if (full) {
        j.set("disabled", u.disabled);
        j.set("updated_at", u.updatedAt);
    }
    return j;
}

Json AuthService::tokenResponse(const UserRecord& user, const std::string& sessionId, const std::string& refreshToken, int64_t now) const
{
    return Json{{"access_token", tokens_->issue(user.id, user.roles, sessionId, now)},
                {"refresh_token", refreshToken},
                {"token_type", "Bearer"},
                {"expires_in", tokens_->accessTtl()},
                {"session_id", sessionId}};
}

UserRecord AuthService::createUser(const std::string& emailIn, const std::string& displayName, const std::string& password,
                                   const std::vector<std::string>& roles, const std::string& inviteCodeHash)
{
    const auto email = normaliseEmail(emailIn);
    if (!email) throw Unprocessable("email is not a valid address", "invalid-email");
    const auto nameLength = utf8Length(displayName);
    if (!nameLength || *nameLength < 1 || *nameLength > 100)
        throw Unprocessable("display_name must have 1 to 100 characters", "invalid-display-name");
    for (char ch : displayName)
        if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F)
            throw Unprocessable("display_name must not contain control characters", "invalid-display-name");
    if (password.size() > maxPasswordBytes_) throw Unprocessable("the password is too long", "weak-password");
    if (auto why = policy_->check(password, *email)) throw Unprocessable(*why, "weak-password");
    for (const auto& r : roles)
        if (std::find(knownRoles().begin(), knownRoles().end(), r) == knownRoles().end())
            throw Unprocessable("unknown role '" + r + "'", "invalid-role");

    UserRecord u;
    u.id = randomUuid();
    u.email = *email;
    u.displayName = displayName;
    u.roles = roles;
    u.createdAt = u.updatedAt = unixNow();
    u.passwordHash = hashPassword(password);
    try {
        host_.db().transaction([&](Tx& tx) {
            if (!inviteCodeHash.empty() &&
                tx.exec("UPDATE auth_invites SET used_at = ?, used_by = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at >= ?",
                        {u.createdAt, u.id, inviteCodeHash, u.createdAt}) != 1)
                throw Conflict("the invite code is invalid, used or expired", "invalid-invite");
            tx.exec("INSERT INTO auth_users (id, email, display_name, password_hash, roles, disabled, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                    {u.id, u.email, u.displayName, u.passwordHash, joinRoles(u.roles), u.createdAt, u.updatedAt});
        });
    } catch (const DbError& e) {
        if (e.conflict()) throw Conflict("an account with this email already exists", "email-taken");
        throw;
    }
    host_.publish("user.registered", Json{{"user_id", u.id}, {"roles", Json::arrayOf(u.roles)}});
    host_.log().info("user created", {{"user_id", u.id}});
    return u;
}

// ------------------------------------------------------------------ vtpctl user create

namespace {

// Reads one line from the terminal without echo, or from stdin when it is not a terminal.
std::optional<std::string> readPassword(const char* prompt)
{
    std::string line;
    if (::isatty(STDIN_FILENO)) {
        std::fprintf(stderr, "%s", prompt);
        std::fflush(stderr);
        termios old{};
        ::tcgetattr(STDIN_FILENO, &old);
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
        const bool ok = static_cast<bool>(std::getline(std::cin, line));
        ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
        std::fprintf(stderr, "\n");
        if (!ok) return std::nullopt;
    } else if (!std::getline(std::cin, line)) {
        return std::nullopt;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

} // namespace

int AuthService::createUserCommand(const std::vector<std::string>& args)
{
    std::string email, name;
    std::vector<std::string> roles;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&]() -> std::optional<std::string> {
            if (i + 1 < args.size()) return args[++i];
            return std::nullopt;
        };
        std::optional<std::string> v;
        if ((a == "--email" || a == "--role" || a == "--name") && !(v = value())) {
            std::fprintf(stderr, "vtpctl user create: %s needs a value\n", a.c_str());
            return 2;
        }
        if (a == "--email")
            email = *v;
        else if (a == "--role")
            roles.push_back(*v);
        else if (a == "--name")
            name = *v;
        else if (a == "--password" || a.rfind("--password=", 0) == 0) {
            std::fprintf(stderr, "vtpctl user create: passwords are never taken as arguments (they would show in ps and shell history); "
                                 "type it when asked or pipe it on stdin\n");
            return 2;
        } else {
            std::fprintf(stderr,
                         "vtpctl user create: unknown argument '%s'\nusage: vtpctl user create --email E [--role R]... [--name N]\n",
                         a.c_str());
            return 2;
        }
    }
    if (email.empty()) {
        std::fprintf(stderr, "usage: vtpctl user create --email E [--role R]... [--name N]   (password from the terminal or stdin)\n");
        return 2;
    }
    if (roles.empty()) roles.push_back("student");
    if (name.empty()) name = email.substr(0, email.find('@'));
    const auto password = readPassword("Password: ");
    if (!password) {
        std::fprintf(stderr, "vtpctl user create: no password given\n");
        return 2;
    }
    if (::isatty(STDIN_FILENO)) {
        const auto again = readPassword("Again: ");
        if (!again || *again != *password) {
            std::fprintf(stderr, "vtpctl user create: the passwords differ\n");
            return 2;
        }
    }
    try {
        const UserRecord u = createUser(email, name, *password, roles);
        std::string joined;
        for (const auto& r : u.roles) joined += (joined.empty() ? "" : ",") + r;
        std::printf("created user %s <%s> roles=%s\n", u.id.c_str(), u.email.c_str(), joined.c_str());
        return 0;
    } catch (const HttpError& e) {
        std::fprintf(stderr, "vtpctl user create: %s\n", e.detail().c_str());
        return 1;
    }
}

void AuthService::registerCommands()
{
    host_.command({.name = "user create",
                   .summary = "Creates an account (the first admin, say); the password is read from the terminal or stdin",
                   .usage = "--email E [--role admin|instructor|student]... [--name N]",
                   .run = [this](const std::vector<std::string>& args) { return createUserCommand(args); }});
}

} // namespace vtp::auth

// The auth plugin: accounts, sessions and roles, and the token verifier the kernel uses to
// authenticate every route. Registration only; the work is in src/.
#include "src/AuthService.hpp"

#include <vtp/sdk.hpp>

namespace {

using vtp::ConfigKey;

class AuthPlugin : public vtp::Plugin {
public:
    static vtp::PluginInfo info()
    {
        return {
            .name = "auth",
            .version = "1.0.0",
            .description = "Accounts, JWT sessions and roles; the token verifier for every route",
            .dependencies = {},
            .config =
                {
                    ConfigKey::string("registration", "invite",
                                      "Who may create an account: open (anyone), invite (with an admin's invite code) or closed")
                        .oneOf({"open", "invite", "closed"}),
                    ConfigKey::stringArray("registration_roles", {"student"},
                                           "Roles a self-registered account gets (an invite names its own)"),
                    ConfigKey::integer("password.min_length", 12, "Shortest password accepted, in characters").range(8, 256),
                    ConfigKey::integer("password.max_length", 256, "Longest password accepted, in characters").range(12, 1024),
                    ConfigKey::string("password.blocklist_file", "",
                                      "A file of further refused passwords, one a line (the shipped list of common ones always applies)"),
                    ConfigKey::integer("argon2.memory_kib", 19456, "Argon2id memory cost in KiB (OWASP: 19456)").range(8192, 4194304),
                    ConfigKey::integer("argon2.iterations", 2, "Argon2id time cost (OWASP: 2)").range(1, 100),
                    ConfigKey::integer("argon2.parallelism", 1, "Argon2id lanes (OWASP: 1)").range(1, 16),
                    ConfigKey::integer("argon2.max_concurrent", 0, "Password hashes computed at once (0: one per CPU core); others queue")
                        .range(0, 256),
                    ConfigKey::integer("argon2.max_waiting", 256,
                                       "Password checks allowed to queue before logins answer 503 with Retry-After")
                        .range(0, 100000),
                    ConfigKey::string("tokens.algorithm", "HS256",
                                      "Access-token signature: HS256 (secret generated in DATA_DIR/auth), RS256 or ES256 (tokens.key_file)")
                        .oneOf({"HS256", "RS256", "ES256"}),
                    ConfigKey::string("tokens.key_file", "",
                                      "PEM private key for RS256/ES256, or a file holding an HS256 secret (empty with HS256: generated)"),
                    ConfigKey::stringArray(
                        "tokens.previous_key_files", {},
                        "Retired keys (PEM public/private keys or HS256 secret files) that still verify tokens until they expire"),
                    ConfigKey::string("tokens.issuer", "vtp", "The iss claim of issued tokens, required on verification"),
                    ConfigKey::string("tokens.audience", "vtp", "The aud claim of issued tokens, required on verification"),
                    ConfigKey::integer("tokens.access_ttl_seconds", 900, "Lifetime of an access token").range(5, 86400),
                    ConfigKey::integer("tokens.refresh_ttl_seconds", 2592000, "A session ends when its refresh token is unused this long")
                        .range(300, 31536000),
                    ConfigKey::integer("tokens.leeway_seconds", 30, "Clock skew tolerated when checking exp and iat").range(0, 300),
                    ConfigKey::integer("tokens.revocation_poll_seconds", 2, "How often a node reads revocations made on other nodes")
                        .range(1, 60),
                    ConfigKey::integer("throttle.account_failures", 5, "Failed logins per account within the window before delays start")
                        .range(1, 1000),
                    ConfigKey::integer("throttle.address_failures", 20,
                                       "Failed logins per client address within the window before delays start")
                        .range(1, 100000),
                    ConfigKey::integer("throttle.window_seconds", 900, "Window over which failed logins are counted").range(1, 86400),
                    ConfigKey::integer("throttle.base_delay_seconds", 1,
                                       "First lockout once the free failures are used; doubles with each further failure")
                        .range(1, 3600),
                    ConfigKey::integer("throttle.max_lockout_seconds", 900,
                                       "Longest lockout of an account (it always runs out: an attacker cannot keep it locked)")
                        .range(1, 86400),
                    ConfigKey::integer("throttle.address_max_lockout_seconds", 3600,
                                       "Longest lockout of a client address; keep it longer than the account's")
                        .range(1, 604800),
                    ConfigKey::integer(
                        "throttle.registration_email_failures", 3,
                        "Refused registrations (email taken, invite refused) for one email address within throttle.window_seconds "
                        "before further attempts for it answer 429 with Retry-After; delays as for logins (base delay doubling up "
                        "to throttle.max_lockout_seconds). Open registration tells whether an address has an account: this "
                        "and the next key bound how fast anyone can ask")
                        .range(1, 1000),
                    ConfigKey::integer("throttle.registration_address_failures", 10,
                                       "Refused registrations from one client address within throttle.window_seconds before its further "
                                       "registrations answer 429 with Retry-After; delays as for logins (up to "
                                       "throttle.address_max_lockout_seconds). Successful registrations are not counted, so many students "
                                       "behind one NAT can still register")
                        .range(1, 100000),
                    ConfigKey::integer("reset.ttl_seconds", 1800, "Lifetime of a password-reset token").range(60, 86400),
                    ConfigKey::string("reset.url", "http://127.0.0.1:8080/reset-password?token={token}",
                                      "Link mailed for a password reset; {token} is replaced by the token"),
                    ConfigKey::integer("invites.ttl_seconds", 604800, "Default lifetime of an invite code").range(60, 7776000),
                    ConfigKey::string("smtp.host", "", "SMTP server for password-reset mail (empty: no mail is sent)"),
                    ConfigKey::integer("smtp.port", 25, "SMTP port").range(1, 65535),
                    ConfigKey::string("smtp.tls", "none", "none, or starttls").oneOf({"none", "starttls"}),
                    ConfigKey::string("smtp.username", "", "SMTP AUTH LOGIN user (empty: no authentication)"),
                    ConfigKey::string("smtp.password", "", "SMTP AUTH password").markSecret(),
                    ConfigKey::string("smtp.from", "VTP <vtp@localhost>", "Sender of the mail VTP sends"),
                    ConfigKey::integer("smtp.timeout_seconds", 10, "Connect, read and write timeout for the SMTP server").range(1, 300),
                },
        };
    }

    void init(vtp::Host& host) override { service_ = std::make_unique<vtp::auth::AuthService>(host); }
    void start() override { service_->start(); }
    void stop() override { service_->stop(); }

private:
    std::unique_ptr<vtp::auth::AuthService> service_;
};

} // namespace

VTP_PLUGIN(AuthPlugin)

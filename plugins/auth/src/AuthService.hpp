#pragma once

// The auth plugin's working parts, created in init() from the validated config: accounts,
// sessions, tokens, throttling, mail, revocations, and the routes and commands over them.

#include "LoginThrottle.hpp"
#include "Mailer.hpp"
#include "PasswordHasher.hpp"
#include "PasswordPolicy.hpp"
#include "Revocations.hpp"
#include "SessionStore.hpp"
#include "TokenService.hpp"

#include <vtp/sdk.hpp>
#include <vtp/services/verifier.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace vtp::auth {

struct UserRecord {
    std::string id, email, displayName, passwordHash;
    std::vector<std::string> roles;
    bool disabled = false;
    std::optional<std::string> locale, timeZone, avatarUrl;
    int64_t createdAt = 0, updatedAt = 0;
};

class AuthService {
public:
    explicit AuthService(Host& host);
    ~AuthService();

    void start();
    void stop();

    // For the kernel's verifier service and for socket endpoints: a verified, unrevoked token.
    ClaimsPtr verifyAccess(std::string_view token) const;
    // Creates an account (vtpctl user create and registration); throws HttpError on bad input.
    UserRecord createUser(const std::string& email, const std::string& displayName, const std::string& password,
                          const std::vector<std::string>& roles, const std::string& inviteCodeHash = {});

    static const std::vector<std::string>& knownRoles();

private:
    void registerAuthRoutes();
    void registerUserRoutes();
    void registerCommands();

    // auth/*
    Response registerAccount(const Request& req);
    // registerAccount after its throttle checks: the invite, then the account.
    Response createAccount(const Json& body, const std::string& email, const std::string& password, const std::string& name);
    Response login(const Request& req);
    Response refresh(const Request& req);
    Response logout(const Request& req);
    Response listSessions(const Request& req);
    Response endSession(const Request& req);
    Response requestPasswordReset(const Request& req);
    Response confirmPasswordReset(const Request& req);
    // users/*, invites
    Response me(const Request& req);
    Response updateMe(const Request& req);
    Response changePassword(const Request& req);
    Response listUsers(const Request& req);
    Response getUser(const Request& req);
    Response updateUser(const Request& req);
    Response createInvite(const Request& req);
    int createUserCommand(const std::vector<std::string>& args);

    ClaimsPtr callerClaims(const Request& req) const;
    std::optional<UserRecord> findUserByEmail(const std::string& email) const;
    std::optional<UserRecord> findUserById(const std::string& id) const;
    Json tokenResponse(const UserRecord& user, const std::string& sessionId, const std::string& refreshToken, int64_t now) const;
    // Revokes the sessions everywhere and announces each as auth.session_revoked with the user and
    // a reason code (logout, session-ended, refresh-reuse, password-reset, password-changed,
    // account-disabled), so that live connections opened with them end too.
    void revokeSessions(const std::vector<std::string>& ids, const std::string& userId, const char* reason, int64_t now);
    void sendPasswordReset(const std::string& email);
    std::string hashPassword(const std::string& password);
    bool checkPassword(const std::string& encoded, const std::string& password);
    void maintenanceLoop();
    static Json userJson(const UserRecord& u, bool full);
    static UserRecord userFromRow(const Rows& rows, size_t i);

    Host& host_;
    std::string registration_;
    std::vector<std::string> registrationRoles_;
    std::string resetUrlTemplate_;
    int64_t resetTtl_ = 1800;
    int64_t inviteTtl_ = 7 * 86400;
    int64_t pollSeconds_ = 2;
    size_t maxPasswordBytes_ = 1024;

    std::unique_ptr<PasswordHasher> hasher_;
    std::unique_ptr<PasswordPolicy> policy_;
    std::unique_ptr<TokenService> tokens_;
    std::unique_ptr<SessionStore> sessions_;
    std::unique_ptr<Revocations> revocations_;
    std::unique_ptr<LoginThrottle> throttle_;
    std::unique_ptr<Mailer> mailer_;
    vtp_verifier_v1 verifier_{};
    std::shared_ptr<void> directory_; // vtp.auth.directory (Directory.cpp)

    Metric logins_, revokedGauge_;

    std::mutex loopMutex_;
    std::condition_variable loopCv_;
    bool stopping_ = false;
    std::thread loop_;
};

int64_t unixNow();
std::shared_ptr<void> offerDirectory(Host& host); // Directory.cpp

} // namespace vtp::auth

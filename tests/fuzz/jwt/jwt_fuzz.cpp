// Fuzzes the auth plugin's access-token verification: what any client can put in an
// Authorization header reaches TokenService::verify before anything else looks at it.
// Every input must end in claims or a TokenError, never a crash or another exception.
#include "TokenService.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <unistd.h>

using namespace vtp::auth;

namespace {

std::unique_ptr<TokenService> service;

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    char dir[] = "/tmp/vtp-jwt-fuzz-XXXXXX";
    if (!::mkdtemp(dir)) std::abort();
    TokenOptions o;
    o.generatedSecretPath = std::string(dir) + "/secret";
    service = std::make_unique<TokenService>(o);
    // Seed knowledge: one valid token, printed so it can join the corpus by hand.
    std::fprintf(stderr, "valid token: %s\n", service->issue("u", {"student"}, "s", 1'800'000'000).c_str());
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string token(reinterpret_cast<const char*>(data), size);
    try {
        const ClaimsPtr c = service->verify(token, 1'800'000'100);
        if (c->subject.empty() || c->sessionId.empty()) std::abort(); // accepted claims are complete
    } catch (const TokenError&) {
    }
    return 0;
}

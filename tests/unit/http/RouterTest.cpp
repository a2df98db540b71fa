#include "http/Router.hpp"

#include <gtest/gtest.h>

using namespace vtp::kernel;

namespace {

RouteSpec route(std::string method, std::string pattern, std::string owner = "test")
{
    RouteSpec r;
    r.method = std::move(method);
    r.pattern = std::move(pattern);
    r.role = "public";
    r.owner = std::move(owner);
    return r;
}

} // namespace

TEST(Router, MatchesStaticRoute)
{
    Router r;
    r.add(route("GET", "/health"));
    auto m = r.match("GET", "/health");
    ASSERT_EQ(m.kind, RouteMatch::Kind::Found);
    EXPECT_EQ(m.route->pattern, "/health");
    EXPECT_TRUE(m.params.empty());
}

TEST(Router, ExtractsAndDecodesPathParameters)
{
    Router r;
    r.add(route("GET", "/api/v1/rooms/{room}/chat/{msg}"));
    auto m = r.match("GET", "/api/v1/rooms/a%20b/chat/42");
    ASSERT_EQ(m.kind, RouteMatch::Kind::Found);
    ASSERT_EQ(m.params.size(), 2u);
    EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>{"room", "a b"}));
    EXPECT_EQ(m.params[1], (std::pair<std::string, std::string>{"msg", "42"}));
}

TEST(Router, StaticSegmentBeatsParameter)
{
    Router r;
    r.add(route("GET", "/rooms/{id}"));
    r.add(route("GET", "/rooms/new"));
    EXPECT_EQ(r.match("GET", "/rooms/new").route->pattern, "/rooms/new");
    EXPECT_EQ(r.match("GET", "/rooms/7").route->pattern, "/rooms/{id}");
}

TEST(Router, FallsBackToParameterWhenStaticLacksMethod)
{
    Router r;
    r.add(route("GET", "/rooms/new"));
    r.add(route("DELETE", "/rooms/{id}"));
    auto m = r.match("DELETE", "/rooms/new");
    ASSERT_EQ(m.kind, RouteMatch::Kind::Found);
    EXPECT_EQ(m.route->pattern, "/rooms/{id}");
}

TEST(Router, UnknownPathIsNotFound)
{
    Router r;
    r.add(route("GET", "/a/b"));
    EXPECT_EQ(r.match("GET", "/a").kind, RouteMatch::Kind::NotFound);
    EXPECT_EQ(r.match("GET", "/a/b/c").kind, RouteMatch::Kind::NotFound);
    EXPECT_EQ(r.match("GET", "").kind, RouteMatch::Kind::NotFound);
    EXPECT_EQ(r.match("GET", "a/b").kind, RouteMatch::Kind::NotFound);
    EXPECT_EQ(r.match("GET", "/a//b").kind, RouteMatch::Kind::NotFound);
}

TEST(Router, WrongMethodListsAllowedMethods)
{
    Router r;
    r.add(route("GET", "/items/{id}"));
    r.add(route("DELETE", "/items/{id}"));
    auto m = r.match("POST", "/items/3");
    ASSERT_EQ(m.kind, RouteMatch::Kind::MethodNotAllowed);
    EXPECT_EQ(m.allowed, (std::vector<std::string>{"DELETE", "GET", "HEAD"}));
}

TEST(Router, TakesOptionsRoutesAndListsThemAsAllowed)
{
    Router r;
    r.add(route("POST", "/uploads"));
    EXPECT_EQ(r.match("OPTIONS", "/uploads").kind, RouteMatch::Kind::MethodNotAllowed);
    r.add(route("OPTIONS", "/uploads"));
    const auto m = r.match("OPTIONS", "/uploads");
    ASSERT_EQ(m.kind, RouteMatch::Kind::Found);
    EXPECT_EQ(m.route->method, "OPTIONS");
    EXPECT_EQ(r.match("GET", "/uploads").allowed, (std::vector<std::string>{"OPTIONS", "POST"}));
    EXPECT_EQ(r.allowed("/uploads"), (std::vector<std::string>{"OPTIONS", "POST"}));
    EXPECT_TRUE(r.allowed("/elsewhere").empty());
}

TEST(Router, RefusesMethodsItDoesNotRoute)
{
    Router r;
    EXPECT_THROW(r.add(route("HEAD", "/x")), RouteError); // GET's
    EXPECT_THROW(r.add(route("TRACE", "/x")), RouteError);
    EXPECT_THROW(r.add(route("options", "/x")), RouteError);
    EXPECT_THROW(r.add(route("", "/x")), RouteError);
}

TEST(Router, HeadMatchesGet)
{
    Router r;
    r.add(route("GET", "/x"));
    EXPECT_EQ(r.match("HEAD", "/x").kind, RouteMatch::Kind::Found);
}

TEST(Router, TrailingSlashMatchesSameRoute)
{
    Router r;
    r.add(route("GET", "/x/y"));
    EXPECT_EQ(r.match("GET", "/x/y/").kind, RouteMatch::Kind::Found);
}

TEST(Router, RefusesDuplicateRouteOfSameShape)
{
    Router r;
    r.add(route("GET", "/a/{x}", "one"));
    EXPECT_THROW(r.add(route("GET", "/a/{y}", "two")), RouteError);
    EXPECT_NO_THROW(r.add(route("POST", "/a/{y}", "two")));
}

TEST(Router, RefusesMalformedPatterns)
{
    Router r;
    EXPECT_THROW(r.add(route("GET", "no-slash")), RouteError);
    EXPECT_THROW(r.add(route("GET", "/a//b")), RouteError);
    EXPECT_THROW(r.add(route("GET", "/a/{}")), RouteError);
    EXPECT_THROW(r.add(route("GET", "/a/{1x}")), RouteError);
    EXPECT_THROW(r.add(route("GET", "/a/{x}/{x}")), RouteError);
    EXPECT_THROW(r.add(route("GET", "/a b")), RouteError);
    EXPECT_THROW(r.add(route("BREW", "/coffee")), RouteError);
    RouteSpec noRole = route("GET", "/r");
    noRole.role.clear();
    EXPECT_THROW(r.add(noRole), RouteError);
}

TEST(Router, MalformedEscapeInParameterIsNotFound)
{
    Router r;
    r.add(route("GET", "/u/{name}"));
    EXPECT_EQ(r.match("GET", "/u/%zz").kind, RouteMatch::Kind::NotFound);
    EXPECT_EQ(r.match("GET", "/u/%00").kind, RouteMatch::Kind::NotFound);
    EXPECT_EQ(r.match("GET", "/u/%4").kind, RouteMatch::Kind::NotFound);
}

TEST(Router, RemoveOwnerDropsOnlyThatOwnersRoutes)
{
    Router r;
    r.add(route("GET", "/a", "one"));
    r.add(route("GET", "/b", "two"));
    r.removeOwner("one");
    EXPECT_EQ(r.match("GET", "/a").kind, RouteMatch::Kind::NotFound);
    EXPECT_EQ(r.match("GET", "/b").kind, RouteMatch::Kind::Found);
    EXPECT_EQ(r.routes().size(), 1u);
}

TEST(Router, RefusesTooManySegments)
{
    std::string deep;
    for (int i = 0; i < 40; ++i) deep += "/s";
    Router r;
    EXPECT_THROW(r.add(route("GET", deep)), RouteError);
    EXPECT_EQ(r.match("GET", deep).kind, RouteMatch::Kind::NotFound);
}

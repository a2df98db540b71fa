#include "loader/DependencyOrder.hpp"

#include <gtest/gtest.h>

using namespace vtp::kernel;

TEST(DependencyOrder, StartsDependenciesFirst)
{
    auto r = orderByDependencies({{"signalling", {"auth"}}, {"recording", {"auth", "signalling"}}, {"auth", {}}});
    EXPECT_TRUE(r.refused.empty());
    EXPECT_EQ(r.order, (std::vector<std::string>{"auth", "signalling", "recording"}));
}

TEST(DependencyOrder, KeepsInputOrderAmongIndependentPlugins)
{
    auto r = orderByDependencies({{"b", {}}, {"a", {}}, {"c", {}}});
    EXPECT_EQ(r.order, (std::vector<std::string>{"b", "a", "c"}));
}

TEST(DependencyOrder, RefusesMissingDependencyAndItsDependents)
{
    auto r = orderByDependencies({{"a", {"ghost"}}, {"b", {"a"}}, {"c", {}}});
    EXPECT_EQ(r.order, (std::vector<std::string>{"c"}));
    EXPECT_EQ(r.refused.at("a"), "depends on 'ghost', which is not enabled");
    EXPECT_EQ(r.refused.at("b"), "depends on 'a', which was refused");
}

TEST(DependencyOrder, RefusesEveryPluginOnACycleNamingIt)
{
    auto r = orderByDependencies({{"x", {"y"}}, {"y", {"z"}}, {"z", {"x"}}, {"ok", {}}, {"after", {"x"}}});
    EXPECT_EQ(r.order, (std::vector<std::string>{"ok"}));
    for (const auto* n : {"x", "y", "z"}) {
        ASSERT_TRUE(r.refused.count(n)) << n;
        EXPECT_NE(r.refused.at(n).find("dependency cycle: x -> y -> z -> x"), std::string::npos) << r.refused.at(n);
    }
    EXPECT_EQ(r.refused.at("after"), "depends on 'x', which was refused");
}

TEST(DependencyOrder, SelfDependencyIsACycle)
{
    auto r = orderByDependencies({{"me", {"me"}}});
    EXPECT_TRUE(r.order.empty());
    EXPECT_NE(r.refused.at("me").find("cycle"), std::string::npos);
}

TEST(DependencyOrder, AlreadyRefusedPluginTakesDependentsWithIt)
{
    DependencyNode broken{"broken", {}, true};
    auto r = orderByDependencies({broken, {"user", {"broken"}}});
    EXPECT_TRUE(r.order.empty());
    EXPECT_EQ(r.refused.at("user"), "depends on 'broken', which was refused");
}

TEST(DependencyOrder, OptionalDependencyStartsFirstWhenEnabled)
{
    auto r = orderByDependencies({{"signalling", {"auth"}, false, {"courses"}}, {"auth", {}}, {"courses", {"auth"}}});
    EXPECT_TRUE(r.refused.empty());
    EXPECT_EQ(r.order, (std::vector<std::string>{"auth", "courses", "signalling"}));
}

TEST(DependencyOrder, OptionalDependencyThatIsAbsentIsIgnored)
{
    auto r = orderByDependencies({{"signalling", {}, false, {"courses"}}});
    EXPECT_TRUE(r.refused.empty());
    EXPECT_EQ(r.order, (std::vector<std::string>{"signalling"}));
}

TEST(DependencyOrder, RefusedOptionalDependencyNeitherOrdersNorRefuses)
{
    DependencyNode broken{"courses", {}, true};
    auto r = orderByDependencies(
        {{"signalling", {}, false, {"courses", "ghost"}}, broken, {"other", {"ghost"}}, {"late", {}, false, {"other"}}});
    EXPECT_EQ(r.order, (std::vector<std::string>{"signalling", "late"}));
    EXPECT_FALSE(r.refused.count("signalling"));
    EXPECT_FALSE(r.refused.count("late")) << r.refused.at("late");
    EXPECT_EQ(r.refused.at("other"), "depends on 'ghost', which is not enabled");
}

TEST(DependencyOrder, RefusesCycleThroughOptionalDependencyNamingIt)
{
    auto r = orderByDependencies({{"a", {"b"}}, {"b", {}, false, {"a"}}, {"c", {}, false, {"a"}}});
    EXPECT_EQ(r.order, (std::vector<std::string>{"c"}));
    for (const auto* n : {"a", "b"}) {
        ASSERT_TRUE(r.refused.count(n)) << n;
        EXPECT_EQ(r.refused.at(n), "dependency cycle: a -> b -> a (optional)");
    }
    EXPECT_FALSE(r.refused.count("c")) << "a refusal does not spread along optional dependencies";
}

TEST(DependencyOrder, OptionalSelfDependencyIsACycle)
{
    auto r = orderByDependencies({{"me", {}, false, {"me"}}});
    EXPECT_TRUE(r.order.empty());
    EXPECT_EQ(r.refused.at("me"), "dependency cycle: me -> me (optional)");
}

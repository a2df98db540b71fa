// The vtp.rooms.provider.courses service, called through its C table as the signalling plugin
// will call it, over a fake source of session facts.
#include "RoomAccess.hpp"

#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <map>

namespace vtp::courses {
namespace {

constexpr int64_t kStart = 1'800'000'000;

class RoomAccessTest : public ::testing::Test {
protected:
    RoomAccessTest()
        : access_(
              [this](const std::string& key, const std::string& user) -> std::optional<RoomFacts> {
                  if (key != "s1" && key != "gone") return std::nullopt;
                  RoomFacts f;
                  f.name = "CS101 A: Algorithms (2027-01-15)";
                  f.startsAt = kStart;
                  f.endsAt = kStart + 5400;
                  f.capacity = 30;
                  f.staff = 2;
                  f.cancelled = key == "gone";
                  auto it = relations_.find(user);
                  f.relation = it == relations_.end() ? Relation::None : it->second;
                  return f;
              },
              600, 900)
    {
        relations_ = {
            {"stu", Relation::Enrolled}, {"wait", Relation::Waitlisted}, {"prof", Relation::Instructor}, {"ta", Relation::Assistant}};
    }

    struct Answer {
        int status;
        int moderator;
        std::string reason;
    };
    Answer authorize(const char* key, const char* user, const char* roles, int64_t now)
    {
        const vtp_room_provider_v1* t = access_.table();
        int moderator = -1;
        char reason[128] = {0};
        const int rc = t->authorize(t->context, key, user, roles, now, &moderator, reason, sizeof reason);
        return {rc, moderator, reason};
    }

    std::map<std::string, Relation> relations_;
    RoomAccess access_;
};

TEST_F(RoomAccessTest, DescribeGivesOpeningHoursAndSeats)
{
    const vtp_room_provider_v1* t = access_.table();
    ASSERT_EQ(t->struct_size, sizeof(vtp_room_provider_v1));
    char out[512];
    ASSERT_EQ(t->describe(t->context, "s1", out, sizeof out), VTP_OK);
    const auto j = Poco::JSON::Parser().parse(out).extract<Poco::JSON::Object::Ptr>();
    EXPECT_EQ(j->getValue<int64_t>("opens_at"), kStart - 600);
    EXPECT_EQ(j->getValue<int64_t>("closes_at"), kStart + 5400 + 900);
    EXPECT_EQ(j->getValue<int>("max_participants"), 32);
    EXPECT_EQ(j->getValue<std::string>("name"), "CS101 A: Algorithms (2027-01-15)");
    EXPECT_EQ(t->describe(t->context, "nope", out, sizeof out), VTP_NOT_FOUND);
    EXPECT_EQ(t->describe(t->context, "gone", out, sizeof out), VTP_NOT_FOUND) << "a cancelled class has no room";
    char tiny[8];
    EXPECT_EQ(t->describe(t->context, "s1", tiny, sizeof tiny), VTP_INVALID);
}

TEST_F(RoomAccessTest, EnrolledStudentsJoinInTheWindowStaffModerateOthersAreRefused)
{
    const int64_t during = kStart + 60;
    auto a = authorize("s1", "stu", "student", during);
    EXPECT_EQ(a.status, VTP_OK);
    EXPECT_EQ(a.moderator, 0);
    a = authorize("s1", "prof", "instructor", during);
    EXPECT_EQ(a.status, VTP_OK);
    EXPECT_EQ(a.moderator, 1);
    a = authorize("s1", "ta", "student", during);
    EXPECT_EQ(a.status, VTP_OK);
    EXPECT_EQ(a.moderator, 1);
    a = authorize("s1", "boss", "admin", kStart - 86400);
    EXPECT_EQ(a.status, VTP_OK) << "admins join at any time";
    EXPECT_EQ(a.moderator, 1);

    a = authorize("s1", "stranger", "student", during);
    EXPECT_NE(a.status, VTP_OK);
    EXPECT_EQ(a.reason, "you are not enrolled in this section");
    a = authorize("s1", "wait", "student", during);
    EXPECT_NE(a.status, VTP_OK);
    EXPECT_NE(a.reason.find("waitlist"), std::string::npos) << a.reason;

    EXPECT_EQ(authorize("s1", "stu", "student", kStart - 600).status, VTP_OK) << "early-join margin";
    a = authorize("s1", "stu", "student", kStart - 601);
    EXPECT_NE(a.status, VTP_OK);
    EXPECT_NE(a.reason.find("opens at"), std::string::npos) << a.reason;
    EXPECT_EQ(authorize("s1", "stu", "student", kStart + 5400 + 899).status, VTP_OK);
    a = authorize("s1", "stu", "student", kStart + 5400 + 900);
    EXPECT_NE(a.status, VTP_OK);
    EXPECT_EQ(a.reason, "the class has ended");

    EXPECT_EQ(authorize("nope", "stu", "student", during).status, VTP_NOT_FOUND);
    a = authorize("gone", "stu", "student", during);
    EXPECT_NE(a.status, VTP_OK);
    EXPECT_EQ(a.reason, "this class was cancelled");
    EXPECT_EQ(authorize("s1", "", "student", during).status, VTP_INVALID);
}

} // namespace
} // namespace vtp::courses

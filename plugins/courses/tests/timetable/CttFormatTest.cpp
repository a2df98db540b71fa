#include "TestInstances.hpp"

#include "timetable/CttError.hpp"
#include "timetable/CttFormat.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace vtp::courses::timetable {
namespace {

std::string replaced(std::string text, const std::string& from, const std::string& to)
{
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
}

// Parses `text`, expecting a CttError at `line` whose message contains `fragment`.
void expectError(const std::string& text, int line, const std::string& fragment)
{
    try {
        parseCtt(text);
        ADD_FAILURE() << "no error; expected line " << line << ": " << fragment;
    } catch (const CttError& e) {
        EXPECT_EQ(e.line(), line) << e.what();
        EXPECT_NE(std::string(e.what()).find("line " + std::to_string(line) + ": expected"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
}

TEST(CttFormat, ParsesToyInstanceWithIndexes)
{
    const Instance instance = parseCtt(test::toyCtt);
    EXPECT_EQ(instance.name, "Toy");
    EXPECT_EQ(instance.days, 2);
    EXPECT_EQ(instance.periodsPerDay, 3);
    ASSERT_EQ(instance.courses.size(), 4u);
    EXPECT_EQ(instance.courses[2], (Course{"cC", "tX", 1, 1, 50}));
    ASSERT_EQ(instance.rooms.size(), 2u);
    EXPECT_EQ(instance.rooms[1], (Room{"rBig", 40}));
    ASSERT_EQ(instance.curricula.size(), 2u);
    EXPECT_EQ(instance.curricula[1].courses, (std::vector<int>{1, 3}));
    ASSERT_EQ(instance.unavailability.size(), 2u);
    EXPECT_EQ(instance.unavailability[1], (Unavailability{3, 1, 2}));
    EXPECT_EQ(instance.lectureCount(), 6);
}

TEST(CttFormat, AcceptsTabsCrlfAndExtraBlankLines)
{
    std::string text;
    for (char ch : std::string(test::toyCtt)) {
        if (ch == '\n')
            text += " \r\n\r\n";
        else if (ch == ' ')
            text += "\t";
        else
            text += ch;
    }
    EXPECT_EQ(parseCtt(text), parseCtt(test::toyCtt));
}

TEST(CttFormat, RejectsWrongHeaderKey)
{
    expectError(replaced(test::toyCtt, "Name: Toy", "Nome: Toy"), 1, "'Name: <value>'");
}

TEST(CttFormat, RejectsEmptyFile)
{
    expectError("", 1, "found end of file");
}

TEST(CttFormat, RejectsNonNumericCount)
{
    expectError(replaced(test::toyCtt, "Rooms: 2", "Rooms: two"), 3, "Rooms as an integer from 0 to 1000, found 'two'");
}

TEST(CttFormat, RejectsAbsurdCountsBeforeAllocating)
{
    expectError(replaced(test::toyCtt, "Courses: 4", "Courses: 999999999999"), 2, "from 0 to 5000");
    expectError(replaced(test::toyCtt, "Constraints: 2", "Constraints: 2000000000"), 7, "from 0 to 1000000");
    expectError(replaced(test::toyCtt, "cA tX 2 2 30", "cA tX 2000 2 30"), 10, "lecture count");
}

TEST(CttFormat, RejectsFewerCourseLinesThanTheHeaderSays)
{
    expectError(replaced(test::toyCtt, "Courses: 4", "Courses: 5"), 15, "course line 5 of 5 (Courses: 5 in the header), found 'ROOMS:'");
}

TEST(CttFormat, RejectsMoreCourseLinesThanTheHeaderSays)
{
    expectError(replaced(test::toyCtt, "Courses: 4", "Courses: 3"), 13, "'ROOMS:' after 3 course lines");
}

TEST(CttFormat, RejectsFewerConstraintLinesThanTheHeaderSays)
{
    expectError(replaced(test::toyCtt, "Constraints: 2", "Constraints: 3"), 27, "unavailability line 3 of 3");
}

TEST(CttFormat, RejectsUnknownCourseInCurriculum)
{
    expectError(replaced(test::toyCtt, "q2 2 cB cD", "q2 2 cB cX"), 21, "'cX', an unknown course");
}

TEST(CttFormat, RejectsUnknownCourseInConstraint)
{
    expectError(replaced(test::toyCtt, "cD 1 2", "cQ 1 2"), 25, "'cQ', an unknown course");
}

TEST(CttFormat, RejectsDayAndPeriodOutOfRange)
{
    expectError(replaced(test::toyCtt, "cD 1 2", "cD 2 2"), 25, "day as an integer from 0 to 1, found '2'");
    expectError(replaced(test::toyCtt, "cD 1 2", "cD 1 3"), 25, "period as an integer from 0 to 2, found '3'");
    expectError(replaced(test::toyCtt, "cD 1 2", "cD -1 2"), 25, "day");
}

TEST(CttFormat, RejectsMissingEnd)
{
    expectError(replaced(test::toyCtt, "END.", ""), 27, "expected 'END.', found end of file");
    const std::string cut = std::string(test::toyCtt).substr(0, std::string(test::toyCtt).find("\nEND."));
    expectError(cut, 25, "found end of file");
}

TEST(CttFormat, RejectsTextAfterEnd)
{
    expectError(std::string(test::toyCtt) + "trailing\n", 28, "end of file after END.");
}

TEST(CttFormat, RejectsDuplicateIds)
{
    expectError(replaced(test::toyCtt, "cC tX 1 1 50", "cA tX 1 1 50"), 12, "'cA', already defined on line 10");
    expectError(replaced(test::toyCtt, "rBig 40", "rSmall 40"), 17, "a new room id");
    expectError(replaced(test::toyCtt, "q2 2 cB cD", "q1 2 cB cD"), 21, "a new curriculum id");
    expectError(replaced(test::toyCtt, "q1 2 cA cB", "q1 2 cA cA"), 20, "'cA' twice");
    expectError(replaced(test::toyCtt, "cD 1 2", "cA 0 0"), 25, "a repeat");
}

TEST(CttFormat, RejectsMemberCountNotMatchingMembers)
{
    expectError(replaced(test::toyCtt, "q1 2 cA cB", "q1 3 cA cB"), 20, "3 course ids (the member count)");
}

TEST(CttFormat, RejectsWrongFieldCountsAndRanges)
{
    expectError(replaced(test::toyCtt, "cB tY 2 1 10", "cB tY 2 1"), 11, "5 fields");
    expectError(replaced(test::toyCtt, "cA tX 2 2 30", "cA tX 2 3 30"), 10, "minimum working days as an integer from 0 to 2");
    expectError(replaced(test::toyCtt, "rBig 40", "rBig -40"), 17, "room capacity");
    expectError(replaced(test::toyCtt, "Days: 2", "Days: 0"), 4, "Days as an integer from 1 to 14");
}

TEST(CttFormat, ErrorMessagesEscapeControlBytes)
{
    expectError(replaced(test::toyCtt, "Name: Toy", std::string("Name\x01: Toy")), 1, "'Name\\x01: Toy'");
}

TEST(CttFormat, WriterRoundTripsToyInstance)
{
    const Instance instance = parseCtt(test::toyCtt);
    const std::string text = writeCtt(instance);
    EXPECT_EQ(parseCtt(text), instance);
    EXPECT_EQ(writeCtt(parseCtt(text)), text);
}

TEST(CttFormat, WriterMakesTheNameOneTokenAndRejectsInvalidInstances)
{
    Instance instance = parseCtt(test::toyCtt);
    instance.name = "Spring term 2026";
    EXPECT_EQ(parseCtt(writeCtt(instance)).name, "Spring_term_2026");
    instance.courses[0].id = "c A";
    EXPECT_THROW(writeCtt(instance), std::invalid_argument);
    instance.courses[0].id = "cA";
    instance.curricula[0].courses.push_back(17);
    EXPECT_THROW(writeCtt(instance), std::invalid_argument);
}

TEST(CttFormat, ParsesAndRoundTripsAllItcInstances)
{
    // Lecture totals from the data README's table.
    const int lectures[21] = {160, 283, 251, 286, 152, 361, 434, 324, 279, 370, 162, 218, 308, 275, 251, 366, 339, 138, 277, 390, 327};
    for (int i = 1; i <= 21; ++i) {
        const std::string name = (i < 10 ? "comp0" : "comp") + std::to_string(i) + ".ctt";
        SCOPED_TRACE(name);
        const Instance instance = parseCtt(test::readItcInstance(name));
        EXPECT_EQ(instance.lectureCount(), lectures[i - 1]);
        EXPECT_EQ(parseCtt(writeCtt(instance)), instance);
    }
}

} // namespace
} // namespace vtp::courses::timetable

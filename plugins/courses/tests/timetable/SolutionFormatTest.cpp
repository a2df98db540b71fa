#include "TestInstances.hpp"

#include "timetable/CttError.hpp"
#include "timetable/CttFormat.hpp"
#include "timetable/Solution.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace vtp::courses::timetable {
namespace {

void expectError(const Instance& instance, const std::string& text, int line, const std::string& fragment)
{
    try {
        parseSol(instance, text);
        ADD_FAILURE() << "no error; expected line " << line << ": " << fragment;
    } catch (const CttError& e) {
        EXPECT_EQ(e.line(), line) << e.what();
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
}

TEST(SolutionFormat, ReadsLinesIntoTheCoursesLecturesInOrder)
{
    const Instance instance = parseCtt(test::toyCtt);
    const Solution solution = parseSol(instance, "cB rSmall 1 0\ncA rBig 0 1\r\n\n cB\trSmall 0 2\n");
    ASSERT_EQ(solution.lectures.size(), 6u);
    EXPECT_EQ(solution.lectures[0], (Assignment{0, 1, 1}));
    EXPECT_FALSE(solution.lectures[1].scheduled()); // cA's second lecture has no line
    EXPECT_EQ(solution.lectures[2], (Assignment{1, 0, 0}));
    EXPECT_EQ(solution.lectures[3], (Assignment{0, 2, 0}));
}

TEST(SolutionFormat, RoundTrips)
{
    const Instance instance = parseCtt(test::toyCtt);
    const std::string text = "cA rBig 0 1\ncA rBig 1 1\ncB rSmall 0 2\ncB rSmall 1 0\ncC rBig 0 0\ncD rSmall 1 1\n";
    const Solution solution = parseSol(instance, text);
    EXPECT_EQ(writeSol(instance, solution), text);
    EXPECT_EQ(parseSol(instance, writeSol(instance, solution)), solution);
}

TEST(SolutionFormat, ErrorsNameTheLine)
{
    const Instance instance = parseCtt(test::toyCtt);
    expectError(instance, "cA rBig 0 1\ncZ rBig 0 0\n", 2, "'cZ', an unknown course");
    expectError(instance, "cA rBig 0 1\n\ncA rHuge 0 0\n", 3, "'rHuge', an unknown room");
    expectError(instance, "cA rBig 2 1\n", 1, "a day from 0 to 1, found '2'");
    expectError(instance, "cA rBig 1 3\n", 1, "a period from 0 to 2, found '3'");
    expectError(instance, "cA rBig 1 x\n", 1, "found 'x'");
    expectError(instance, "cA rBig 1\n", 1, "4 fields");
    expectError(instance, "cC rBig 0 0\ncC rBig 1 0\n", 2, "at most 1 lines for course 'cC'");
}

TEST(SolutionFormat, WriterRejectsSolutionOfAnotherShape)
{
    const Instance instance = parseCtt(test::toyCtt);
    Solution solution = Solution::unscheduled(instance);
    solution.lectures.pop_back();
    EXPECT_THROW(writeSol(instance, solution), std::invalid_argument);
    solution = Solution::unscheduled(instance);
    solution.lectures[0] = Assignment{0, 0, 2};
    EXPECT_THROW(writeSol(instance, solution), std::invalid_argument);
}

} // namespace
} // namespace vtp::courses::timetable

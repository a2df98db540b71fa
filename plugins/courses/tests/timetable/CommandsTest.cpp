#include "TestInstances.hpp"

#include "timetable/Commands.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace vtp::courses::timetable {
namespace {

namespace fs = std::filesystem;

class CommandsTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        dir_ = fs::temp_directory_path() / ("vtp-timetable-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string write(const std::string& name, const std::string& text)
    {
        const fs::path path = dir_ / name;
        std::ofstream(path) << text;
        return path.string();
    }
    std::string read(const std::string& path)
    {
        std::ifstream in(path);
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }

    fs::path dir_;
};

TEST_F(CommandsTest, SolveWritesATimetableThatCheckAccepts)
{
    const std::string ctt = write("toy.ctt", test::toyCtt);
    const std::string sol = (dir_ / "toy.sol").string();
    testing::internal::CaptureStdout();
    EXPECT_EQ(runSolveCommand({ctt, "--iterations", "50000", "--seed", "3", "-o", sol, "--quiet"}), 0);
    testing::internal::GetCapturedStdout();
    EXPECT_FALSE(read(sol).empty());
    testing::internal::CaptureStdout();
    EXPECT_EQ(runCheckCommand({ctt, sol}), 0);
    const std::string out = testing::internal::GetCapturedStdout();
    EXPECT_NE(out.find("Hard violations total:   0"), std::string::npos) << out;
    EXPECT_NE(out.find("Soft cost total:         12"), std::string::npos) << out;
    EXPECT_NE(out.find("Feasible:                yes"), std::string::npos) << out;
}

TEST_F(CommandsTest, CheckFailsOnAnInfeasibleTimetable)
{
    const std::string ctt = write("toy.ctt", test::toyCtt);
    const std::string sol = write("bad.sol", "cA rBig 0 0\ncB rBig 0 0\n");
    testing::internal::CaptureStdout();
    EXPECT_EQ(runCheckCommand({ctt, sol}), 1);
    const std::string out = testing::internal::GetCapturedStdout();
    EXPECT_NE(out.find("Unscheduled lectures:    4"), std::string::npos) << out;
    EXPECT_NE(out.find("Room conflicts:          1"), std::string::npos) << out;
    EXPECT_NE(out.find("Curriculum conflicts:    1"), std::string::npos) << out;
    EXPECT_NE(out.find("Unavailability:          1"), std::string::npos) << out;
    EXPECT_NE(out.find("Feasible:                no"), std::string::npos) << out;
}

TEST_F(CommandsTest, MalformedOrOverConstrainedInputFails)
{
    const std::string bad = write("bad.ctt", "Name: x\nCourses: nine\n");
    testing::internal::CaptureStderr();
    EXPECT_EQ(runSolveCommand({bad, "--iterations", "10"}), 1);
    EXPECT_NE(testing::internal::GetCapturedStderr().find("line 2: expected Courses"), std::string::npos);
    const std::string tight = write("tight.ctt", "Name: t\nCourses: 1\nRooms: 1\nDays: 1\nPeriods_per_day: 1\n"
                                                 "Curricula: 0\nConstraints: 0\nCOURSES:\nc t 2 1 1\nROOMS:\nr 1\n"
                                                 "CURRICULA:\nUNAVAILABILITY_CONSTRAINTS:\nEND.\n");
    testing::internal::CaptureStderr();
    EXPECT_EQ(runSolveCommand({tight, "--iterations", "10"}), 1);
    EXPECT_NE(testing::internal::GetCapturedStderr().find("over-constrained"), std::string::npos);
    testing::internal::CaptureStderr();
    EXPECT_EQ(runCheckCommand({(dir_ / "missing.ctt").string(), (dir_ / "missing.sol").string()}), 1);
    EXPECT_NE(testing::internal::GetCapturedStderr().find("cannot open"), std::string::npos);
}

TEST_F(CommandsTest, UsageErrorsExitWithTwo)
{
    testing::internal::CaptureStderr();
    EXPECT_EQ(runSolveCommand({}), 2);
    EXPECT_EQ(runSolveCommand({"a.ctt", "--threads", "many"}), 2);
    EXPECT_EQ(runSolveCommand({"a.ctt", "--time-limit"}), 2);
    EXPECT_EQ(runSolveCommand({"a.ctt", "--frobnicate"}), 2);
    EXPECT_EQ(runSolveCommand({"a.ctt", "b.ctt"}), 2);
    EXPECT_EQ(runSolveCommand({"a.ctt", "--time-limit", "0"}), 2);
    EXPECT_EQ(runCheckCommand({"a.ctt"}), 2);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("usage: timetable solve"), std::string::npos);
    EXPECT_NE(err.find("usage: timetable check"), std::string::npos);
}

} // namespace
} // namespace vtp::courses::timetable

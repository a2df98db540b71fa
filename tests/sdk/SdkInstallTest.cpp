// A third party's view of the SDK: find_package(vtp-sdk) from an install prefix, build the
// example plugin out of tree with two compilers, and load what each produced.
#include "VtpdProcess.hpp"

#include <gtest/gtest.h>

using namespace vtp::test;

namespace {

int runLogged(const std::vector<std::string>& args, std::string& output)
{
    return VtpdProcess::run(args, output);
}

class SdkInstall : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        prefix_ = new TempDir("vtp-sdk-prefix");
        std::string out;
        ASSERT_EQ(runLogged({"/usr/bin/cmake", "--install", VTP_BINARY_DIR, "--prefix", prefix_->path()}, out), 0) << out;
    }
    static void TearDownTestSuite()
    {
        delete prefix_;
        prefix_ = nullptr;
    }

    // Builds sdk/examples/hello with `compiler` against the installed SDK; returns the build dir.
    static std::string buildExample(const TempDir& dir, const std::string& compiler)
    {
        std::string out;
        const std::string build = dir.path() + "/build";
        EXPECT_EQ(runLogged({"/usr/bin/cmake", "-S", std::string(VTP_SOURCE_DIR) + "/sdk/examples/hello", "-B", build,
                             "-DCMAKE_CXX_COMPILER=" + compiler, "-DCMAKE_PREFIX_PATH=" + prefix_->path(), "-DCMAKE_BUILD_TYPE=Release"},
                            out),
                  0)
            << out;
        EXPECT_EQ(runLogged({"/usr/bin/cmake", "--build", build}, out), 0) << out;
        return build;
    }

    static void expectLoadsAndServes(const std::string& pluginDir)
    {
        VtpdOptions o;
        o.pluginsDir = pluginDir;
        o.enabled = {"hello"};
        VtpdProcess vtpd(o);
        ASSERT_TRUE(vtpd.start()) << vtpd.logs();
        auto r = vtpd.get("/api/v1/hello/sdk");
        EXPECT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(r.json()->getValue<std::string>("greeting"), "Hello, sdk!");
        EXPECT_EQ(vtpd.stop(), 0);
    }

    static TempDir* prefix_;
};

TempDir* SdkInstall::prefix_ = nullptr;

} // namespace

TEST_F(SdkInstall, InstallsHeadersAndCMakePackage)
{
    namespace fs = std::filesystem;
    EXPECT_TRUE(fs::exists(prefix_->path() + "/include/vtp/abi.h"));
    EXPECT_TRUE(fs::exists(prefix_->path() + "/include/vtp/sdk.hpp"));
    bool found = false;
    for (const auto& e : fs::recursive_directory_iterator(prefix_->path())) found = found || e.path().filename() == "vtp-sdkConfig.cmake";
    EXPECT_TRUE(found);
}

TEST_F(SdkInstall, ExampleBuiltOutOfTreeWithGccLoads)
{
    TempDir dir("vtp-sdk-gcc");
    const std::string build = buildExample(dir, "g++");
    ASSERT_TRUE(std::filesystem::exists(build + "/hello.so"));
    expectLoadsAndServes(build);
}

TEST_F(SdkInstall, ExampleBuiltOutOfTreeWithClangLoads)
{
    TempDir dir("vtp-sdk-clang");
    const std::string build = buildExample(dir, "clang++");
    ASSERT_TRUE(std::filesystem::exists(build + "/hello.so"));
    // The library really came from clang: its .comment section says so.
    std::string comment;
    ASSERT_EQ(runLogged({"/usr/bin/readelf", "-p", ".comment", build + "/hello.so"}, comment), 0);
    EXPECT_NE(comment.find("clang version"), std::string::npos) << comment;
    expectLoadsAndServes(build);
}

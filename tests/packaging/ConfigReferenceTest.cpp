// docs/operators.md embeds the output of `vtpd --print-config-reference` between marker
// comments. These tests fail when a key is added, removed or changed without the document
// following. To regenerate the block: VTP_UPDATE_DOCS=1 ctest -R '^docs\.' (then review the diff).

#include "TestSupport.hpp"
#include "VtpdProcess.hpp"

#include <cstdlib>
#include <map>
#include <string>

namespace {

using vtp::test::readFile;
using vtp::test::VtpdProcess;
using vtp::test::writeFile;

constexpr const char* kBegin = "<!-- config-reference:begin -->\n";
constexpr const char* kEnd = "<!-- config-reference:end -->";
const std::string kDoc = std::string(VTP_SOURCE_DIR) + "/docs/operators.md";

// The compiled-in default of plugins.dir follows the install prefix; the document shows a
// placeholder instead of one build's path.
std::string portable(std::string reference)
{
    const std::string compiled = std::string("`\"") + VTP_TEST_DEFAULT_PLUGIN_DIR + "\"`";
    const std::string placeholder = "`\"<libdir>/vtp/plugins\"`";
    for (size_t at = reference.find(compiled); at != std::string::npos; at = reference.find(compiled, at))
        reference.replace(at, compiled.size(), placeholder);
    return reference;
}

// The reference for the shipped config/vtpd.toml, with plugins from this build tree.
std::string generated()
{
    std::string output;
    const int code = VtpdProcess::run(
        {VTP_TEST_VTPD, "--print-config-reference", "--config", std::string(VTP_SOURCE_DIR) + "/config/vtpd.toml"}, output,
        {{"VTP_PLUGINS__DIR", VTP_TEST_PLUGIN_DIR}});
    EXPECT_EQ(code, 0) << output;
    return portable(output);
}

// Heading ("### Kernel keys", "### Plugin `hello`") -> the text under it.
std::map<std::string, std::string> sections(const std::string& text)
{
    std::map<std::string, std::string> out;
    std::string heading;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("### ", 0) == 0) {
            heading = line;
            out[heading];
        } else if (!heading.empty()) {
            out[heading] += line + "\n";
        }
    }
    return out;
}

class ConfigReference : public ::testing::Test {
protected:
    void SetUp() override
    {
        doc_ = readFile(kDoc);
        begin_ = doc_.find(kBegin);
        end_ = doc_.find(kEnd);
        ASSERT_NE(begin_, std::string::npos) << kDoc << " lacks " << kBegin;
        ASSERT_NE(end_, std::string::npos) << kDoc << " lacks " << kEnd;
        ASSERT_LT(begin_, end_);
        begin_ += std::string(kBegin).size();
        reference_ = generated();
        ASSERT_FALSE(reference_.empty());
        const char* update = std::getenv("VTP_UPDATE_DOCS");
        if (update && std::string(update) == "1" && doc_.substr(begin_, end_ - begin_) != reference_) {
            doc_.replace(begin_, end_ - begin_, reference_);
            writeFile(kDoc, doc_);
            end_ = begin_ + reference_.size();
        }
        documented_ = sections(doc_.substr(begin_, end_ - begin_));
        printed_ = sections(reference_);
    }

    std::string doc_;
    size_t begin_ = 0, end_ = 0;
    std::string reference_;
    std::map<std::string, std::string> documented_, printed_;
    const std::string hint_ = "docs/operators.md is stale: regenerate it with VTP_UPDATE_DOCS=1 ctest -R '^docs\\.'";
};

TEST_F(ConfigReference, KernelKeysTableMatchesVtpd)
{
    const std::string heading = "### Kernel keys";
    ASSERT_TRUE(printed_.count(heading)) << reference_;
    ASSERT_TRUE(documented_.count(heading)) << hint_;
    EXPECT_EQ(documented_[heading], printed_[heading]) << hint_;
}

TEST_F(ConfigReference, PluginTablesMatchTheShippedConfigsPlugins)
{
    for (const auto& [heading, table] : printed_) {
        if (heading == "### Kernel keys") continue;
        ASSERT_TRUE(documented_.count(heading)) << heading << " is missing. " << hint_;
        EXPECT_EQ(documented_[heading], table) << heading << ": " << hint_;
    }
    for (const auto& [heading, table] : documented_)
        EXPECT_TRUE(printed_.count(heading)) << heading << " is documented but vtpd no longer prints it. " << hint_;
}

TEST_F(ConfigReference, EveryKernelKeyHasADescription)
{
    std::istringstream rows(printed_["### Kernel keys"]);
    int keys = 0;
    for (std::string row; std::getline(rows, row);) {
        if (row.rfind("| `", 0) != 0) continue;
        ++keys;
        EXPECT_EQ(row.find("|  |"), std::string::npos) << "a key without a description: " << row;
    }
    EXPECT_GT(keys, 10);
}

} // namespace

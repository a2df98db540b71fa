#include "metrics/MetricsRegistry.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <thread>

using namespace vtp::kernel;

namespace {

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

// The value of the sample line that starts with `series` followed by a space, or NaN.
double sampleValue(const std::string& exposition, const std::string& series)
{
    std::istringstream in(exposition);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    return std::nan("");
}

TEST(MetricsRegistry, RendersCounterWithHelpTypeAndLabels)
{
    MetricsRegistry r;
    auto& f = r.add("vtp_things_total", "Things done.", MetricType::Counter);
    f.series({{"kind", "a"}})->inc();
    f.series({{"kind", "a"}})->inc(2);
    f.series({{"kind", "b"}})->inc();
    const auto text = r.render();
    EXPECT_TRUE(contains(text, "# HELP vtp_things_total Things done.\n# TYPE vtp_things_total counter\n")) << text;
    EXPECT_EQ(sampleValue(text, "vtp_things_total{kind=\"a\"}"), 3);
    EXPECT_EQ(sampleValue(text, "vtp_things_total{kind=\"b\"}"), 1);
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelp)
{
    MetricsRegistry r;
    auto& f = r.add("vtp_escaped", "Back\\slash and\nnewline.", MetricType::Gauge);
    f.series({{"path", "a\"b\\c\nd"}})->set(1);
    const auto text = r.render();
    EXPECT_TRUE(contains(text, "# HELP vtp_escaped Back\\\\slash and\\nnewline.\n")) << text;
    EXPECT_TRUE(contains(text, "vtp_escaped{path=\"a\\\"b\\\\c\\nd\"} 1\n")) << text;
}

TEST(MetricsRegistry, FormatsValuesAsPrometheusReadsThem)
{
    std::string out;
    appendMetricValue(out, 42);
    out += ' ';
    appendMetricValue(out, 0.25);
    out += ' ';
    appendMetricValue(out, std::numeric_limits<double>::infinity());
    out += ' ';
    appendMetricValue(out, -std::numeric_limits<double>::infinity());
    out += ' ';
    appendMetricValue(out, std::nan(""));
    EXPECT_EQ(out, "42 0.25 +Inf -Inf NaN");
}

TEST(MetricsRegistry, HistogramBucketsAreCumulativeAndMatchCount)
{
    MetricsRegistry r;
    auto& f = r.add("vtp_latency_seconds", "Latency.", MetricType::Histogram, {0.1, 1});
    auto* h = f.histogram({{"route", "/x"}});
    ASSERT_NE(h, nullptr);
    h->observe(0.05);
    h->observe(0.1); // a bound is inclusive (le)
    h->observe(0.5);
    h->observe(7);
    const auto text = r.render();
    EXPECT_EQ(sampleValue(text, "vtp_latency_seconds_bucket{route=\"/x\",le=\"0.1\"}"), 2) << text;
    EXPECT_EQ(sampleValue(text, "vtp_latency_seconds_bucket{route=\"/x\",le=\"1\"}"), 3);
    EXPECT_EQ(sampleValue(text, "vtp_latency_seconds_bucket{route=\"/x\",le=\"+Inf\"}"), 4);
    EXPECT_EQ(sampleValue(text, "vtp_latency_seconds_count{route=\"/x\"}"), 4);
    EXPECT_DOUBLE_EQ(sampleValue(text, "vtp_latency_seconds_sum{route=\"/x\"}"), 7.65);
    EXPECT_TRUE(contains(text, "# TYPE vtp_latency_seconds histogram\n"));
}

TEST(MetricsRegistry, SeriesOfTheWrongKindAreRefused)
{
    MetricsRegistry r;
    auto& counter = r.add("vtp_c_total", "c", MetricType::Counter);
    auto& hist = r.add("vtp_h", "h", MetricType::Histogram);
    EXPECT_EQ(counter.histogram(), nullptr);
    EXPECT_EQ(hist.series(), nullptr);
    EXPECT_EQ(hist.buckets(), MetricsRegistry::defaultBuckets());
}

TEST(MetricsRegistry, RefusesInvalidAndDuplicateNames)
{
    MetricsRegistry r;
    r.add("vtp_one", "one", MetricType::Gauge);
    try {
        r.add("vtp_one", "again", MetricType::Gauge);
        FAIL() << "a duplicate name was accepted";
    } catch (const MetricError& e) {
        EXPECT_EQ(e.kind(), MetricError::Kind::Conflict);
    }
    try {
        r.add("9lives", "bad", MetricType::Gauge);
        FAIL() << "an invalid name was accepted";
    } catch (const MetricError& e) {
        EXPECT_EQ(e.kind(), MetricError::Kind::Invalid);
    }
}

TEST(MetricsRegistry, PluginMetricsArePrefixedWithThePluginName)
{
    MetricsRegistry r;
    const auto id = r.addPluginMetric("hello", "greetings", "Greetings given.", MetricType::Gauge);
    ASSERT_GE(id, 0);
    r.pluginMetric("hello", id)->series()->set(5);
    EXPECT_EQ(sampleValue(r.render(), "vtp_plugin_hello_greetings"), 5);
}

TEST(MetricsRegistry, PluginMetricNamesAreValidated)
{
    MetricsRegistry r;
    for (const char* bad : {"", "Upper", "9start", "has-dash", "dot.ted"}) {
        try {
            r.addPluginMetric("hello", bad, "", MetricType::Gauge);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const MetricError& e) {
            EXPECT_EQ(e.kind(), MetricError::Kind::Invalid) << bad;
        }
    }
    EXPECT_THROW(r.addPluginMetric("hello", "latency", "", MetricType::Histogram), MetricError);
    EXPECT_GE(r.addPluginMetric("hello", "_private_ok", "", MetricType::Counter), 0);
}

TEST(MetricsRegistry, DuplicatePluginMetricIsAConflict)
{
    MetricsRegistry r;
    r.addPluginMetric("a", "b_c", "", MetricType::Gauge);
    try {
        // vtp_plugin_a_b_c again, from another plugin whose name makes the same full name.
        r.addPluginMetric("a_b", "c", "", MetricType::Gauge);
        FAIL() << "a colliding full name was accepted";
    } catch (const MetricError& e) {
        EXPECT_EQ(e.kind(), MetricError::Kind::Conflict);
    }
}

TEST(MetricsRegistry, PluginCannotReachAnotherPluginsMetric)
{
    MetricsRegistry r;
    const auto id = r.addPluginMetric("one", "m", "", MetricType::Gauge);
    EXPECT_NE(r.pluginMetric("one", id), nullptr);
    EXPECT_EQ(r.pluginMetric("two", id), nullptr);
    EXPECT_EQ(r.pluginMetric("one", id + 1), nullptr);
    EXPECT_EQ(r.pluginMetric("one", -1), nullptr);
    r.add("vtp_kernel_only", "", MetricType::Gauge);
    EXPECT_EQ(r.pluginMetric("", id + 1), nullptr) << "kernel families are not plugin metrics";
}

TEST(MetricsRegistry, RemovedPluginMetricsLeaveTheExposition)
{
    MetricsRegistry r;
    const auto id = r.addPluginMetric("refused", "widgets", "", MetricType::Gauge);
    r.pluginMetric("refused", id)->series()->set(3);
    r.addPluginMetric("kept", "widgets", "", MetricType::Gauge);
    r.removePlugin("refused");
    const auto text = r.render();
    EXPECT_FALSE(contains(text, "vtp_plugin_refused_widgets")) << text;
    EXPECT_TRUE(contains(text, "vtp_plugin_kept_widgets"));
    EXPECT_EQ(r.pluginMetric("refused", id), nullptr);
}

TEST(MetricsRegistry, PluginSeriesAreCapped)
{
    MetricsRegistry r;
    auto* f = r.pluginMetric("p", r.addPluginMetric("p", "per_user", "", MetricType::Counter));
    for (size_t i = 0; i < MetricsRegistry::kMaxPluginSeries; ++i) ASSERT_NE(f->series({{"user", std::to_string(i)}}), nullptr);
    EXPECT_EQ(f->series({{"user", "one-too-many"}}), nullptr);
    EXPECT_NE(f->series({{"user", "0"}}), nullptr) << "existing label sets stay usable";
}

TEST(MetricsRegistry, CollectorsReportAtScrapeTimeAndDuplicatesAreLeftOut)
{
    MetricsRegistry r;
    r.add("vtp_owned", "", MetricType::Gauge).series()->set(1);
    double depth = 7;
    const auto id = r.addCollector([&depth](std::vector<CollectedFamily>& out) {
        out.push_back({"vtp_queue_depth", "Queued.", MetricType::Gauge, {{{{"queue", "a"}}, depth}}});
        out.push_back({"vtp_owned", "A second vtp_owned.", MetricType::Gauge, {{{}, 99}}});
    });
    EXPECT_EQ(sampleValue(r.render(), "vtp_queue_depth{queue=\"a\"}"), 7);
    depth = 9;
    const auto text = r.render();
    EXPECT_EQ(sampleValue(text, "vtp_queue_depth{queue=\"a\"}"), 9);
    EXPECT_EQ(sampleValue(text, "vtp_owned"), 1);
    EXPECT_FALSE(contains(text, "A second vtp_owned"));
    r.removeCollector(id);
    EXPECT_FALSE(contains(r.render(), "vtp_queue_depth"));
}

TEST(MetricsRegistry, ThrowingCollectorCostsOnlyItsOwnFamilies)
{
    MetricsRegistry r;
    r.addCollector([](std::vector<CollectedFamily>& out) {
        out.push_back({"vtp_partial", "", MetricType::Gauge, {{{}, 1}}});
        throw std::runtime_error("subsystem gone");
    });
    r.addCollector([](std::vector<CollectedFamily>& out) { out.push_back({"vtp_fine", "", MetricType::Gauge, {{{}, 2}}}); });
    const auto text = r.render();
    EXPECT_FALSE(contains(text, "vtp_partial"));
    EXPECT_EQ(sampleValue(text, "vtp_fine"), 2);
}

TEST(MetricsRegistry, ConcurrentUpdatesAreAllCounted)
{
    MetricsRegistry r;
    auto& counter = r.add("vtp_hits_total", "", MetricType::Counter);
    auto& hist = r.add("vtp_hist", "", MetricType::Histogram, {1});
    constexpr int kThreads = 4, kEach = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                counter.series({{"thread", std::to_string(t % 2)}})->inc();
                hist.histogram()->observe(0.5);
            }
        });
    for (auto& t : threads) t.join();
    const auto text = r.render();
    EXPECT_EQ(sampleValue(text, "vtp_hits_total{thread=\"0\"}") + sampleValue(text, "vtp_hits_total{thread=\"1\"}"), kThreads * kEach);
    EXPECT_EQ(sampleValue(text, "vtp_hist_count"), kThreads * kEach);
    EXPECT_EQ(sampleValue(text, "vtp_hist_sum"), kThreads * kEach * 0.5);
}

} // namespace

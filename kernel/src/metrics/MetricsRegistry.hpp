#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace vtp::kernel {

enum class MetricType { Counter, Gauge, Histogram };
std::string_view metricTypeName(MetricType type); // "counter", "gauge", "histogram"

// Label name/value pairs. A family compares label sets as given: callers keep one order
// (kernel families use their declared order, plugin metrics are sorted by name).
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// One counter or gauge time series. Lock-free; safe from any thread.
class MetricSeries {
public:
    void inc(double delta = 1) { value_.fetch_add(delta, std::memory_order_relaxed); }
    void set(double value) { value_.store(value, std::memory_order_relaxed); }
    double value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

// One histogram time series: a counter per bucket (not cumulative, so an observation is a
// single atomic add) and the sum. Lock-free; safe from any thread.
class HistogramSeries {
public:
    explicit HistogramSeries(const std::vector<double>& bounds);
    void observe(double value);

    struct Snapshot {
        std::vector<uint64_t> cumulative; // one per bound, then +Inf
        uint64_t count = 0;               // equals cumulative.back(): both come from one read
        double sum = 0;
    };
    Snapshot snapshot() const;

private:
    const std::vector<double>& bounds_;
    std::unique_ptr<std::atomic<uint64_t>[]> counts_; // bounds_.size() + 1 (the +Inf bucket)
    std::atomic<double> sum_{0};
};

// A named metric and its series, one per label set. Finding an existing series takes a shared
// lock; only the first use of a label set takes the exclusive one. Series live as long as the
// family, so callers may keep the pointers they get.
class MetricFamily {
public:
    MetricFamily(std::string name, std::string help, MetricType type, std::vector<double> buckets = {}, size_t maxSeries = 0);

    const std::string& name() const { return name_; }
    const std::string& help() const { return help_; }
    MetricType type() const { return type_; }
    const std::vector<double>& buckets() const { return buckets_; }

    // nullptr if this is a histogram family, or if the label set is new and the family already
    // has maxSeries series (a plugin must not blow up the scrape with unbounded labels).
    MetricSeries* series(const MetricLabels& labels = {});
    // nullptr unless this is a histogram family; same limit.
    HistogramSeries* histogram(const MetricLabels& labels = {});

    // Appends this family in the text exposition format (HELP, TYPE, samples sorted by labels).
    void render(std::string& out) const;

private:
    struct Entry {
        MetricLabels labels;
        std::unique_ptr<MetricSeries> series;
        std::unique_ptr<HistogramSeries> histogram;
    };
    Entry* find(const MetricLabels& labels);

    std::string name_, help_;
    MetricType type_;
    std::vector<double> buckets_;
    size_t maxSeries_;
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, std::unique_ptr<Entry>> entries_;
};

// Samples a collector reports at scrape time (counters and gauges only).
struct CollectedSample {
    MetricLabels labels;
    double value = 0;
};
struct CollectedFamily {
    std::string name, help;
    MetricType type = MetricType::Gauge;
    std::vector<CollectedSample> samples;
};
// Called on the scraping thread; appends the families it knows. Must be thread-safe and quick.
using MetricsCollector = std::function<void(std::vector<CollectedFamily>& out)>;

class MetricError : public std::runtime_error {
public:
    enum class Kind { Invalid, Conflict };
    MetricError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
    Kind kind() const { return kind_; }

private:
    Kind kind_;
};

// Every metric /metrics shows: the kernel's families, plugin metrics (vtp_plugin_<plugin>_<name>)
// and collectors run at scrape time. Thread-safe.
class MetricsRegistry {
public:
    // Prometheus' default latency buckets, in seconds.
    static const std::vector<double>& defaultBuckets();
    // Largest number of label sets one plugin metric may have; more are dropped.
    static constexpr size_t kMaxPluginSeries = 1000;

    MetricsRegistry();
    ~MetricsRegistry();
    MetricsRegistry(const MetricsRegistry&) = delete;
    MetricsRegistry& operator=(const MetricsRegistry&) = delete;

    // A kernel family. Throws MetricError for a bad or duplicate name. The reference stays valid
    // as long as the registry.
    MetricFamily& add(const std::string& name, const std::string& help, MetricType type, std::vector<double> buckets = {});

    // A plugin's metric, shown as vtp_plugin_<plugin>_<name>. `name` matches [a-z_][a-z0-9_]*.
    // Returns its id. Throws MetricError: Invalid (bad name, histogram type), Conflict (the full
    // name exists already).
    int64_t addPluginMetric(const std::string& plugin, const std::string& name, const std::string& help, MetricType type);
    // The family behind an id, if it belongs to `plugin` and was not dropped; else nullptr.
    MetricFamily* pluginMetric(std::string_view plugin, int64_t id) const;
    // Drops every metric of a plugin (it was refused): they vanish from /metrics.
    void removePlugin(std::string_view plugin);

    // Returns an id for removeCollector.
    size_t addCollector(MetricsCollector collector);
    void removeCollector(size_t id);

    // The whole exposition, text format 0.0.4.
    std::string render() const;

private:
    struct Slot {
        std::unique_ptr<MetricFamily> family;
        std::string owner; // "" for the kernel
        bool dropped = false;
    };
    bool nameTaken(const std::string& name) const; // call with mutex_ held

    mutable std::shared_mutex mutex_;
    std::deque<Slot> families_; // a deque: ids are indexes and families never move
    size_t nextCollector_ = 0;
    std::vector<std::pair<size_t, MetricsCollector>> collectors_;
};

// [a-zA-Z_:][a-zA-Z0-9_:]* (Prometheus metric names).
bool validMetricName(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved by Prometheus).
bool validLabelName(std::string_view name);
// Text format helpers: label values escape \, " and newline; HELP escapes \ and newline.
void appendLabelValue(std::string& out, std::string_view value);
void appendHelpText(std::string& out, std::string_view help);
// A sample value as Prometheus reads it: shortest round-trip decimal, +Inf, -Inf, NaN.
void appendMetricValue(std::string& out, double value);
// Renders collected families after the registry's own (also used by tests).
void renderCollected(std::string& out, const CollectedFamily& family);

} // namespace vtp::kernel

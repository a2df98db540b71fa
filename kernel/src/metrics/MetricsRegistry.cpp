#include "metrics/MetricsRegistry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <mutex>
#include <set>

namespace vtp::kernel {

namespace {

bool nameStart(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool nameChar(char c)
{
    return nameStart(c) || (c >= '0' && c <= '9');
}

// Length-prefixed, so that no label value can make two label sets collide.
std::string seriesKey(const MetricLabels& labels)
{
    std::string key;
    for (const auto& [k, v] : labels) {
        key += std::to_string(k.size());
        key += ':';
        key += k;
        key += std::to_string(v.size());
        key += ':';
        key += v;
    }
    return key;
}

void appendLabels(std::string& out, const MetricLabels& labels, std::string_view le = {})
{
    if (labels.empty() && le.empty()) return;
    out += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
        if (!first) out += ',';
        first = false;
        out += k;
        out += "=\"";
        appendLabelValue(out, v);
        out += '"';
    }
    if (!le.empty()) {
        if (!first) out += ',';
        out += "le=\"";
        out += le;
        out += '"';
    }
    out += '}';
}

void appendHeader(std::string& out, std::string_view name, std::string_view help, MetricType type)
{
    out += "# HELP ";
    out += name;
    out += ' ';
    appendHelpText(out, help);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += metricTypeName(type);
    out += '\n';
}

void appendSample(std::string& out, std::string_view name, const MetricLabels& labels, double value, std::string_view le = {})
{
    out += name;
    appendLabels(out, labels, le);
    out += ' ';
    appendMetricValue(out, value);
    out += '\n';
}

} // namespace

std::string_view metricTypeName(MetricType type)
{
    switch (type) {
    case MetricType::Counter: return "counter";
    case MetricType::Gauge: return "gauge";
    case MetricType::Histogram: return "histogram";
    }
    return "untyped";
}

bool validMetricName(std::string_view name)
{
    if (name.empty() || !(nameStart(name[0]) || name[0] == ':')) return false;
    return std::all_of(name.begin(), name.end(), [](char c) { return nameChar(c) || c == ':'; });
}

bool validLabelName(std::string_view name)
{
    if (name.empty() || !nameStart(name[0]) || name.starts_with("__")) return false;
    return std::all_of(name.begin(), name.end(), nameChar);
}

void appendLabelValue(std::string& out, std::string_view value)
{
    for (char c : value) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '"': out += "\\\""; break;
        case '\n': out += "\\n"; break;
        default: out += c;
        }
    }
}

void appendHelpText(std::string& out, std::string_view help)
{
    for (char c : help) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        default: out += c;
        }
    }
}

void appendMetricValue(std::string& out, double value)
{
    if (std::isnan(value)) {
        out += "NaN";
        return;
    }
    if (std::isinf(value)) {
        out += value > 0 ? "+Inf" : "-Inf";
        return;
    }
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, r.ptr);
}

void renderCollected(std::string& out, const CollectedFamily& family)
{
    appendHeader(out, family.name, family.help, family.type);
    for (const auto& s : family.samples) appendSample(out, family.name, s.labels, s.value);
}

// ------------------------------------------------------------------ HistogramSeries

HistogramSeries::HistogramSeries(const std::vector<double>& bounds)
    : bounds_(bounds), counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1))
{
    for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void HistogramSeries::observe(double value)
{
    // Buckets are upper-inclusive (le): the first bound >= value.
    const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
    counts_[static_cast<size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
}

HistogramSeries::Snapshot HistogramSeries::snapshot() const
{
    Snapshot s;
    s.cumulative.reserve(bounds_.size() + 1);
    uint64_t running = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
        running += counts_[i].load(std::memory_order_relaxed);
        s.cumulative.push_back(running);
    }
    s.count = running;
    s.sum = sum_.load(std::memory_order_relaxed);
    return s;
}

// ------------------------------------------------------------------ MetricFamily

MetricFamily::MetricFamily(std::string name, std::string help, MetricType type, std::vector<double> buckets, size_t maxSeries)
    : name_(std::move(name)), help_(std::move(help)), type_(type), buckets_(std::move(buckets)), maxSeries_(maxSeries)
{
    if (type_ == MetricType::Histogram) {
        if (buckets_.empty()) buckets_ = MetricsRegistry::defaultBuckets();
        std::sort(buckets_.begin(), buckets_.end());
        buckets_.erase(std::unique(buckets_.begin(), buckets_.end()), buckets_.end());
        std::erase_if(buckets_, [](double b) { return std::isinf(b) || std::isnan(b); });
    }
}

MetricFamily::Entry* MetricFamily::find(const MetricLabels& labels)
{
    const std::string key = seriesKey(labels);
    {
        std::shared_lock lock(mutex_);
        if (auto it = entries_.find(key); it != entries_.end()) return it->second.get();
    }
    std::unique_lock lock(mutex_);
    if (auto it = entries_.find(key); it != entries_.end()) return it->second.get();
    if (maxSeries_ && entries_.size() >= maxSeries_) return nullptr;
    auto e = std::make_unique<Entry>();
    e->labels = labels;
    if (type_ == MetricType::Histogram)
        e->histogram = std::make_unique<HistogramSeries>(buckets_);
    else
        e->series = std::make_unique<MetricSeries>();
    return entries_.emplace(key, std::move(e)).first->second.get();
}

MetricSeries* MetricFamily::series(const MetricLabels& labels)
{
    if (type_ == MetricType::Histogram) return nullptr;
    Entry* e = find(labels);
    return e ? e->series.get() : nullptr;
}

HistogramSeries* MetricFamily::histogram(const MetricLabels& labels)
{
    if (type_ != MetricType::Histogram) return nullptr;
    Entry* e = find(labels);
    return e ? e->histogram.get() : nullptr;
}

void MetricFamily::render(std::string& out) const
{
    std::vector<const Entry*> sorted;
    {
        std::shared_lock lock(mutex_);
        sorted.reserve(entries_.size());
        for (const auto& [key, e] : entries_) sorted.push_back(e.get());
    }
    std::sort(sorted.begin(), sorted.end(), [](const Entry* a, const Entry* b) { return a->labels < b->labels; });
    appendHeader(out, name_, help_, type_);
    if (type_ != MetricType::Histogram) {
        for (const Entry* e : sorted) appendSample(out, name_, e->labels, e->series->value());
        return;
    }
    const std::string bucket = name_ + "_bucket";
    for (const Entry* e : sorted) {
        const auto snap = e->histogram->snapshot();
        std::string le;
        for (size_t i = 0; i < buckets_.size(); ++i) {
            le.clear();
            appendMetricValue(le, buckets_[i]);
            appendSample(out, bucket, e->labels, static_cast<double>(snap.cumulative[i]), le);
        }
        appendSample(out, bucket, e->labels, static_cast<double>(snap.count), "+Inf");
        appendSample(out, name_ + "_sum", e->labels, snap.sum);
        appendSample(out, name_ + "_count", e->labels, static_cast<double>(snap.count));
    }
}

// ------------------------------------------------------------------ MetricsRegistry

const std::vector<double>& MetricsRegistry::defaultBuckets()
{
    static const std::vector<double> buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    return buckets;
}

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

bool MetricsRegistry::nameTaken(const std::string& name) const
{
    return std::any_of(families_.begin(), families_.end(), [&](const Slot& s) { return !s.dropped && s.family->name() == name; });
}

MetricFamily& MetricsRegistry::add(const std::string& name, const std::string& help, MetricType type, std::vector<double> buckets)
{
    if (!validMetricName(name)) throw MetricError(MetricError::Kind::Invalid, "invalid metric name '" + name + "'");
    std::unique_lock lock(mutex_);
    if (nameTaken(name)) throw MetricError(MetricError::Kind::Conflict, "metric '" + name + "' exists already");
    auto& slot = families_.emplace_back();
    slot.family = std::make_unique<MetricFamily>(name, help, type, std::move(buckets));
    return *slot.family;
}

int64_t MetricsRegistry::addPluginMetric(const std::string& plugin, const std::string& name, const std::string& help, MetricType type)
{
    const bool shapeOk =
        !name.empty() && name.size() <= 100 && (name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z')) &&
        std::all_of(name.begin(), name.end(), [](char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
    if (!shapeOk)
        throw MetricError(MetricError::Kind::Invalid, "metric name '" + name + "' must match [a-z_][a-z0-9_]* (at most 100 characters)");
    if (type == MetricType::Histogram) throw MetricError(MetricError::Kind::Invalid, "plugins may add gauges and counters only");
    const std::string full = "vtp_plugin_" + plugin + "_" + name;
    if (!validMetricName(full)) throw MetricError(MetricError::Kind::Invalid, "invalid metric name '" + full + "'");
    std::unique_lock lock(mutex_);
    if (nameTaken(full)) throw MetricError(MetricError::Kind::Conflict, "metric '" + full + "' exists already");
    auto& slot = families_.emplace_back();
    slot.family = std::make_unique<MetricFamily>(full, help, type, std::vector<double>{}, kMaxPluginSeries);
    slot.owner = plugin;
    return static_cast<int64_t>(families_.size() - 1);
}

MetricFamily* MetricsRegistry::pluginMetric(std::string_view plugin, int64_t id) const
{
    std::shared_lock lock(mutex_);
    if (id < 0 || static_cast<size_t>(id) >= families_.size()) return nullptr;
    const Slot& s = families_[static_cast<size_t>(id)];
    if (s.dropped || s.owner.empty() || s.owner != plugin) return nullptr;
    return s.family.get();
}

void MetricsRegistry::removePlugin(std::string_view plugin)
{
    // Dropped families stay allocated: a pointer handed out earlier must never dangle.
    std::unique_lock lock(mutex_);
    for (auto& s : families_)
        if (!s.owner.empty() && s.owner == plugin) s.dropped = true;
}

size_t MetricsRegistry::addCollector(MetricsCollector collector)
{
    std::unique_lock lock(mutex_);
    const size_t id = nextCollector_++;
    collectors_.emplace_back(id, std::move(collector));
    return id;
}

void MetricsRegistry::removeCollector(size_t id)
{
    std::unique_lock lock(mutex_);
    std::erase_if(collectors_, [&](const auto& c) { return c.first == id; });
}

std::string MetricsRegistry::render() const
{
    std::string out;
    out.reserve(16384);
    std::set<std::string, std::less<>> written;
    std::vector<MetricsCollector> collectors;
    {
        std::shared_lock lock(mutex_);
        for (const auto& s : families_) {
            if (s.dropped) continue;
            s.family->render(out);
            written.insert(s.family->name());
        }
        for (const auto& [id, c] : collectors_) collectors.push_back(c);
    }
    // Collectors run without the registry's lock: they may take their subsystem's locks.
    std::vector<CollectedFamily> collected;
    for (const auto& c : collectors) {
        // A failing collector costs its own families, not the scrape.
        std::vector<CollectedFamily> one;
        try {
            c(one);
        } catch (...) {
            continue;
        }
        std::move(one.begin(), one.end(), std::back_inserter(collected));
    }
    for (const auto& f : collected) {
        // A family appears once in an exposition; a duplicate or malformed one is left out.
        if (!validMetricName(f.name) || f.type == MetricType::Histogram || !written.insert(f.name).second) continue;
        renderCollected(out, f);
    }
    return out;
}

} // namespace vtp::kernel

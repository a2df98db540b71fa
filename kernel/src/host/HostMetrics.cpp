#include "host/HostApi.hpp"
#include "host/HostGuard.hpp"

#include "host/Kernel.hpp"
#include "log/Logger.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>

// The host table's metric entries: a plugin's gauges and counters, shown on /metrics as
// vtp_plugin_<plugin>_<name>. The registry checks names and keeps each plugin to its own ids.
namespace vtp::kernel {

namespace {

int64_t metricAdd(vtp_host* h, const char* name, const char* help, int32_t type, vtp_errbuf err) noexcept
{
    try {
        if (!name) {
            copyError(err, "a metric needs a name");
            return -1;
        }
        if (type != VTP_METRIC_GAUGE && type != VTP_METRIC_COUNTER) {
            copyError(err, "unknown metric type");
            return -1;
        }
        return h->kernel->observability().metrics().addPluginMetric(h->name, name, help ? help : "",
                                                                    type == VTP_METRIC_GAUGE ? MetricType::Gauge : MetricType::Counter);
    } catch (...) {
        statusOfCurrentException(err);
    }
    return -1;
}

// The series for one call, or nullptr (unknown id, another plugin's id, bad labels, too many series).
MetricSeries* seriesFor(vtp_host* h, int64_t metric, const vtp_kv* labels, size_t count, MetricType& type)
{
    MetricFamily* family = h->kernel->observability().metrics().pluginMetric(h->name, metric);
    if (!family) return nullptr;
    type = family->type();
    MetricLabels set;
    set.reserve(count);
    for (size_t i = 0; i < count; ++i) {
        if (!labels[i].key || !labels[i].value || !validLabelName(labels[i].key)) return nullptr;
        set.emplace_back(labels[i].key, labels[i].value);
    }
    // One label set, whatever order the plugin passes it in.
    std::sort(set.begin(), set.end());
    if (std::adjacent_find(set.begin(), set.end(), [](const auto& a, const auto& b) { return a.first == b.first; }) != set.end())
        return nullptr;
    MetricSeries* s = family->series(set);
    if (!s && h->kernel->log().enabled(LogLevel::Debug, "metrics"))
        h->kernel->log().debug("metrics", "plugin metric has too many label sets; update dropped",
                               {{"plugin", h->name}, {"metric", family->name()}});
    return s;
}

void metricSet(vtp_host* h, int64_t metric, const vtp_kv* labels, size_t count, double value) noexcept
{
    try {
        MetricType type{};
        if (auto* s = seriesFor(h, metric, labels, count, type)) s->set(value);
    } catch (...) {
    }
}

void metricInc(vtp_host* h, int64_t metric, const vtp_kv* labels, size_t count, double delta) noexcept
{
    try {
        MetricType type{};
        auto* s = seriesFor(h, metric, labels, count, type);
        // A counter only goes up: a negative or NaN step would read as a reset.
        if (!s || (type == MetricType::Counter && !(delta >= 0))) return;
        s->inc(delta);
    } catch (...) {
    }
}

} // namespace

void fillMetricsApi(vtp_host_api& a)
{
    a.metric_add = metricAdd;
    a.metric_set = metricSet;
    a.metric_inc = metricInc;
}

} // namespace vtp::kernel

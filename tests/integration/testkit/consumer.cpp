// testkit_consumer: uses the service "testkit.counter" that testkit offers, through the SDK's
// Host::find, to prove that services work between independently built plugins.
#include "testkit_counter.h"

#include <vtp/sdk.hpp>

namespace {

class ConsumerPlugin : public vtp::Plugin {
public:
    static vtp::PluginInfo info()
    {
        vtp::PluginInfo info;
        info.name = "testkit_consumer";
        info.version = "0.1.0";
        info.description = "Integration test helper: serves the next value of testkit's counter service";
        info.dependencies = {"testkit"};
        return info;
    }

    void init(vtp::Host& host) override
    {
        counter_ = host.find<testkit_counter_v1>(TESTKIT_COUNTER_SERVICE, TESTKIT_COUNTER_VERSION, TESTKIT_COUNTER_V1_SIZE);
        if (!counter_ || !counter_->next) throw vtp::PluginError("service " TESTKIT_COUNTER_SERVICE " v1 is not offered");
        host.route(
            {.method = "GET", .path = "/api/v1/consumer/next", .role = vtp::Role::Public, .summary = "The next value of testkit.counter"},
            [this](const vtp::Request&) {
                return vtp::Response::json({{"value", counter_->next(counter_->ctx)}});
            });
        host.route({.method = "GET",
                    .path = "/api/v1/consumer/private",
                    .role = vtp::Role::Public,
                    .summary = "Same-origin only, whatever the plugin's CORS default",
                    .cors = vtp::Cors::none()},
                   [](const vtp::Request&) {
                       return vtp::Response::json({{"private", true}});
                   });
        // Every other route of this plugin: CORS for the operator's http.cors_origins (set after the
        // routes on purpose: the default covers routes added before it too).
        host.cors({});
    }

private:
    const testkit_counter_v1* counter_ = nullptr;
};

} // namespace

VTP_PLUGIN(ConsumerPlugin)

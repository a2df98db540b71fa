#pragma once

#include "config/ConfigSchema.hpp"

namespace vtp::kernel {

// The webhooks' keys (webhooks.*, webhooks/WebhookService.hpp): their part of the kernel's schema (host/KernelSchema.cpp).
void addWebhookKeys(ConfigSchema& schema);

} // namespace vtp::kernel

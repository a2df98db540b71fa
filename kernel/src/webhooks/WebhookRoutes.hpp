#pragma once

#include "vtp/abi.h"

#include <memory>
#include <vector>

namespace vtp::kernel {

class KernelRoutes;
class WebhookService;

// The operators' webhook API, owner "kernel", role "admin":
//   POST   /api/v1/admin/webhooks                  {url, events:[patterns], secret?} -> 201, secret shown once
//   GET    /api/v1/admin/webhooks                  ?limit=&cursor=, with delivery counts and the latest attempt
//   GET    /api/v1/admin/webhooks/{id}             one endpoint
//   GET    /api/v1/admin/webhooks/{id}/deliveries  ?status=&limit=&cursor=, newest first
//   DELETE /api/v1/admin/webhooks/{id}             204; its deliveries go with it
void addWebhookRoutes(KernelRoutes& routes, WebhookService& service);

} // namespace vtp::kernel

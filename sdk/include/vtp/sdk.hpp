#pragma once

// Everything a plugin author needs: #include <vtp/sdk.hpp>.
#include "vtp/abi.h"
#include "vtp/config.hpp"
#include "vtp/db.hpp"
#include "vtp/errors.hpp"
#include "vtp/http.hpp"
#include "vtp/json.hpp"
#include "vtp/log.hpp"
#include "vtp/plugin.hpp"

// Everything a plugin author includes.
#pragma once

#include "herald/aggregate.h"
#include "herald/command.h"
#include "herald/config_schema.h"
#include "herald/event.h"
#include "herald/json_number.h"
#include "herald/json_text.h"
#include "herald/plugin.h"
#include "herald/projection.h"
#include "herald/status.h"
#include "herald/store.h"
#include "herald/transport.h"
#include "herald/upcaster.h"

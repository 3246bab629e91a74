// X-macro helpers for the op-code lists in the family headers. Each list names an op twice: the C++
// enum suffix and the name the TypeScript side uses (tfjs kernel or activation names). The enum,
// its range check and the table the addon exports as `opCodes` are all expanded from that one
// list, so the two sides cannot drift (src/addon.ts reads the table; nothing is listed by hand).
#pragma once

#define TUNEFLEET_OP_ENUM_ENTRY(suffix, name) k##suffix,
#define TUNEFLEET_OP_COUNT_ONE(suffix, name) +1

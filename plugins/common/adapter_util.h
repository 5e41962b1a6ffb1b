// Helpers shared by the built-in adapters: times, JSON fields, status
// mappings and stable ids. Header-light: nlohmann::json for JSON.
#ifndef RAPPORT_PLUGINS_COMMON_ADAPTER_UTIL_H_
#define RAPPORT_PLUGINS_COMMON_ADAPTER_UTIL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "rapport/adapter_sdk.h"

namespace rapport::adapters {

using Json = nlohmann::json;

// ISO 8601 ("2025-11-12T10:31:02.000+0000", "…Z", "…+02:00", fractions up to
// nanoseconds), "YYYY-MM-DD HH:MM:SS" (UTC), or a strptime-like `format` of
// %Y %m %d %H %M %S and literals (UTC). Microseconds since the epoch.
std::optional<int64_t> ParseTime(std::string_view text, std::string_view format = "");

// The string at `key` (numbers are rendered, null and absent give ""); for
// ServiceNow display_value=all objects and references, the "value" member.
std::string Text(const Json& object, const char* key);
// The same through a path of keys ("fields", "status", "name").
std::string TextAt(const Json& object, std::initializer_list<const char*> path);

// FNV-1a 64, hex: a stable id for payloads without one.
std::string StableId(std::string_view text);

// "pending_requester", "PENDING_REQUESTER", "TICKET_STATUS_PENDING_REQUESTER" -> kPendingRequester.
std::optional<int32_t> StatusByName(std::string_view name);
std::optional<int32_t> PriorityByName(std::string_view name);

// Parses an adapter configuration: JSON, or empty. Fills `out` from the
// "status_map" object (source value, matched case-insensitively -> canonical
// status name). Returns false with *error naming the bad entry.
bool ParseStatusMap(std::string_view config, const char* key, std::map<std::string, int32_t>* out,
                    std::string* error);

std::string Lower(std::string_view text);

// The text a person reads in an HTML fragment (a rich-text comment): tags
// dropped, entities decoded, paragraphs and <br> as line breaks, and
// <blockquote> content as "> " lines so the tone engine can set it aside.
std::string HtmlToText(std::string_view html);

// Parses `body` as JSON; on failure *error says where.
std::optional<Json> ParseJson(std::string_view body, std::string* error);

}  // namespace rapport::adapters

#endif  // RAPPORT_PLUGINS_COMMON_ADAPTER_UTIL_H_

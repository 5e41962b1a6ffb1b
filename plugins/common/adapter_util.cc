#include "common/adapter_util.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace rapport::adapters {
namespace {

// Days from 1970-01-01 to y-m-d (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

std::optional<int64_t> Compose(int y, int mo, int d, int h, int mi, int s, int64_t micros, int64_t offset_s) {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 86400 + h * 3600 + mi * 60 + s) - offset_s) * 1'000'000 + micros;
}

std::optional<int64_t> ParseIso(std::string_view t) {
  int y, mo, d, h = 0, mi = 0, s = 0;
  if (!Digits(t, 0, 4, &y) || t.size() < 10 || t[4] != '-' || !Digits(t, 5, 2, &mo) || t[7] != '-' ||
      !Digits(t, 8, 2, &d)) {
    return std::nullopt;
  }
  size_t p = 10;
  int64_t micros = 0, offset = 0;
  if (p < t.size() && (t[p] == 'T' || t[p] == ' ')) {
    if (!Digits(t, p + 1, 2, &h) || t.size() < p + 6 || t[p + 3] != ':' || !Digits(t, p + 4, 2, &mi)) {
      return std::nullopt;
    }
    p += 6;
    if (p < t.size() && t[p] == ':') {
      if (!Digits(t, p + 1, 2, &s)) return std::nullopt;
      p += 3;
    }
    if (p < t.size() && (t[p] == '.' || t[p] == ',')) {
      ++p;
      int64_t scale = 100000;
      while (p < t.size() && std::isdigit(static_cast<unsigned char>(t[p]))) {
        micros += (t[p] - '0') * scale;
        scale /= 10;
        ++p;
      }
    }
    if (p < t.size()) {
      if (t[p] == 'Z' || t[p] == 'z') {
        ++p;
      } else if (t[p] == '+' || t[p] == '-') {
        int oh, om = 0;
        int sign = t[p] == '-' ? -1 : 1;
        if (!Digits(t, p + 1, 2, &oh)) return std::nullopt;
        p += 3;
        if (p < t.size() && t[p] == ':') ++p;
        if (p < t.size()) {
          if (!Digits(t, p, 2, &om)) return std::nullopt;
          p += 2;
        }
        offset = sign * (oh * 3600 + om * 60);
      }
    }
  }
  if (p != t.size()) return std::nullopt;
  return Compose(y, mo, d, h, mi, s, micros, offset);
}

}  // namespace

std::optional<int64_t> ParseTime(std::string_view text, std::string_view format) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  if (format.empty() || format == "iso8601") return ParseIso(text);
  int y = 1970, mo = 1, d = 1, h = 0, mi = 0, s = 0;
  size_t p = 0;
  for (size_t f = 0; f < format.size(); ++f) {
    if (format[f] == '%' && f + 1 < format.size()) {
      char c = format[++f];
      int* target = c == 'Y' ? &y : c == 'm' ? &mo : c == 'd' ? &d : c == 'H' ? &h : c == 'M' ? &mi : c == 'S' ? &s : nullptr;
      if (target == nullptr) return std::nullopt;
      size_t n = c == 'Y' ? 4 : 2;
      // Single-digit fields ("1-3-2016 9:05") are accepted.
      if (c != 'Y' && (p + 1 >= text.size() || !std::isdigit(static_cast<unsigned char>(text[p + 1])))) n = 1;
      if (!Digits(text, p, n, target)) return std::nullopt;
      p += n;
    } else {
      if (p >= text.size() || text[p] != format[f]) return std::nullopt;
      ++p;
    }
  }
  if (p != text.size()) return std::nullopt;
  return Compose(y, mo, d, h, mi, s, 0, 0);
}

std::string Text(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  const Json* v = &*it;
  if (v->is_object()) {
    auto inner = v->find("value");
    if (inner == v->end() || inner->is_null()) return "";
    v = &*inner;
  }
  if (v->is_string()) return v->get<std::string>();
  if (v->is_boolean()) return v->get<bool>() ? "true" : "false";
  if (v->is_number_integer()) return std::to_string(v->get<int64_t>());
  if (v->is_number()) return v->dump();
  return "";
}

std::string TextAt(const Json& object, std::initializer_list<const char*> path) {
  const Json* v = &object;
  size_t i = 0;
  for (const char* key : path) {
    if (++i == path.size()) return Text(*v, key);
    if (!v->is_object()) return "";
    auto it = v->find(key);
    if (it == v->end()) return "";
    v = &*it;
  }
  return "";
}

std::string StableId(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof(out), "%016llx", static_cast<unsigned long long>(h));
  return out;
}

void AddSourceCount(sdk::Event* e, const char* key, const std::string& count) {
  if (count.empty() || count.size() > 9 || count.find_first_not_of("0123456789") != std::string::npos) return;
  e->attributes.emplace_back(key, count);
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<int32_t> StatusByName(std::string_view name) {
  std::string n = Lower(name);
  if (n.rfind("ticket_status_", 0) == 0) n = n.substr(14);
  static const std::map<std::string, int32_t> kNames = {
      {"new", sdk::kNew}, {"in_progress", sdk::kInProgress}, {"pending_requester", sdk::kPendingRequester},
      {"pending_third_party", sdk::kPendingThirdParty}, {"resolved", sdk::kResolved}, {"closed", sdk::kClosed},
      {"canceled", sdk::kCanceled}};
  auto it = kNames.find(n);
  if (it == kNames.end()) return std::nullopt;
  return it->second;
}

std::optional<int32_t> PriorityByName(std::string_view name) {
  std::string n = Lower(name);
  if (n.rfind("priority_", 0) == 0) n = n.substr(9);
  static const std::map<std::string, int32_t> kNames = {
      {"critical", sdk::kCritical}, {"high", sdk::kHigh}, {"medium", sdk::kMedium}, {"low", sdk::kLow}};
  auto it = kNames.find(n);
  if (it == kNames.end()) return std::nullopt;
  return it->second;
}

std::optional<Json> ParseJson(std::string_view body, std::string* error) {
  try {
    return Json::parse(body.begin(), body.end());
  } catch (const Json::exception& e) {
    *error = std::string("the body is not valid JSON: ") + e.what();
    return std::nullopt;
  }
}

bool ParseStatusMap(std::string_view config, const char* key, std::map<std::string, int32_t>* out,
                    std::string* error) {
  if (config.empty()) return true;
  auto json = ParseJson(config, error);
  if (!json) {
    *error = "configuration: " + *error;
    return false;
  }
  if (!json->is_object()) {
    *error = "configuration: expected a JSON object";
    return false;
  }
  auto it = json->find(key);
  if (it == json->end()) return true;
  if (!it->is_object()) {
    *error = std::string("configuration: ") + key + " must be an object of source value -> status";
    return false;
  }
  for (const auto& [source, target] : it->items()) {
    auto status = target.is_string() ? StatusByName(target.get<std::string>()) : std::nullopt;
    if (!status) {
      *error = std::string("configuration: ") + key + "." + source +
               ": not a status (new, in_progress, pending_requester, pending_third_party, resolved, closed, canceled)";
      return false;
    }
    (*out)[Lower(source)] = *status;
  }
  return true;
}

namespace {

// Appends code point `cp` as UTF-8.
void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The entity at text[i] ('&'): appends what it stands for and returns its
// length, or 0 when it is not one this knows (the '&' is then kept as text).
size_t AppendEntity(std::string_view text, size_t i, std::string* out) {
  static const std::pair<std::string_view, std::string_view> kNamed[] = {
      {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&#39;", "'"},
      {"&nbsp;", " "}, {"&ndash;", "\u2013"}, {"&mdash;", "\u2014"}, {"&hellip;", "\u2026"},
      {"&rsquo;", "\u2019"}, {"&lsquo;", "\u2018"}, {"&rdquo;", "\u201d"}, {"&ldquo;", "\u201c"}};
  for (const auto& [name, value] : kNamed) {
    if (text.compare(i, name.size(), name) == 0) {
      out->append(value);
      return name.size();
    }
  }
  if (text.compare(i, 2, "&#") != 0) return 0;
  size_t k = i + 2;
  const bool hex = k < text.size() && (text[k] == 'x' || text[k] == 'X');
  k += hex;
  uint32_t cp = 0;
  size_t digits = 0;
  for (; k < text.size() && digits < 8; ++k, ++digits) {
    char c = text[k];
    int d = c >= '0' && c <= '9' ? c - '0' : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10 : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) break;
    cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
  }
  if (digits == 0 || k >= text.size() || text[k] != ';') return 0;
  AppendUtf8(cp, out);
  return k + 1 - i;
}

}  // namespace

std::string HtmlToText(std::string_view html) {
  std::string out;
  int quote_depth = 0;
  bool line_start = true;
  auto newline = [&] {
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out.push_back('\n');
    line_start = true;
  };
  auto text_char = [&](std::string_view piece) {
    if (line_start) {
      for (int d = 0; d < quote_depth; ++d) out.append("> ");
      line_start = false;
    }
    out.append(piece);
  };
  for (size_t i = 0; i < html.size();) {
    const char c = html[i];
    if (c == '<') {
      size_t close = html.find('>', i);
      if (close == std::string_view::npos) break;  // a cut-off tag: drop it
      std::string tag = Lower(html.substr(i + 1, close - i - 1));
      const bool end_tag = !tag.empty() && tag[0] == '/';
      std::string name = tag.substr(end_tag, tag.find_first_of(" \t\n/", end_tag) - end_tag);
      if (!end_tag && (name == "script" || name == "style")) {  // not text at all
        size_t end = Lower(html.substr(close)).find("</" + name);
        size_t gt = end == std::string::npos ? std::string_view::npos : html.find('>', close + end);
        i = gt == std::string_view::npos ? html.size() : gt + 1;
        continue;
      }
      if (name == "blockquote") {
        if (!line_start) newline();
        quote_depth = std::max(0, quote_depth + (end_tag ? -1 : 1));
      } else if (name == "br" || name == "p" || name == "div" || name == "li" || name == "tr" || name == "pre" ||
                 (name.size() == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6')) {
        if (!line_start || name == "br") newline();
      } else if (name == "td" || name == "th") {
        if (!line_start) text_char(" ");
      }
      i = close + 1;
      continue;
    }
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {  // HTML white space is one space
      if (!line_start && !out.empty() && out.back() != ' ') text_char(" ");
      ++i;
      continue;
    }
    if (c == '&') {
      std::string entity;
      if (size_t length = AppendEntity(html, i, &entity); length > 0) {
        text_char(entity);
        i += length;
        continue;
      }
    }
    text_char(std::string_view(&html[i], 1));
    ++i;
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  // At most one blank line in a row.
  std::string compact;
  for (char ch : out) {
    if (ch == '\n' && compact.size() >= 2 && compact.back() == '\n' && compact[compact.size() - 2] == '\n') continue;
    compact.push_back(ch);
  }
  size_t first = compact.find_first_not_of('\n');
  return first == std::string::npos ? "" : compact.substr(first);
}

std::string Roles::Fold(std::string_view id) {
  std::string out;
  for (char c : id) {
    if (std::isalnum(static_cast<unsigned char>(c))) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

bool Roles::Has(const std::vector<std::string>& set, const std::string& id) const {
  if (id.empty()) return false;
  const std::string lower = Lower(id);
  const std::string folded = folded_ ? Fold(id) : "";
  for (const std::string& s : set) {
    if (s == lower) return true;
    if (folded_ && !folded.empty() && Fold(s) == folded) return true;
  }
  return false;
}

void Roles::AddRequester(const std::string& id) {
  if (!id.empty()) requester_.push_back(Lower(id));
}
void Roles::AddStaff(const std::string& id) {
  if (!id.empty()) staff_.push_back(Lower(id));
}
void Roles::AddSystem(const std::string& id) {
  if (!id.empty()) system_.push_back(Lower(id));
}

Roles::Verdict Roles::Of(const std::vector<std::string>& ids, const std::string& unknown) const {
  bool any = false;
  for (const std::string& id : ids) {
    any = any || !id.empty();
    if (Has(requester_, id)) return {sdk::kRequester, ""};
  }
  if (!any) return {sdk::kSystem, ""};
  for (const std::string& id : ids) {
    if (Has(system_, id)) return {sdk::kSystem, ""};
  }
  for (const std::string& id : ids) {
    if (Has(staff_, id)) return {sdk::kAgent, ""};
  }
  return {sdk::kOther, unknown};
}

void SetRole(sdk::Event* e, const Roles::Verdict& v) {
  e->actor_role = v.role;
  if (v.role == sdk::kOther && !v.reason.empty()) e->attributes.emplace_back(kRoleReasonAttribute, v.reason);
}

int32_t PriorityByCommonName(std::string_view name) {
  std::string n = Lower(name);
  while (!n.empty() && n.back() == ' ') n.pop_back();
  while (!n.empty() && n.front() == ' ') n.erase(0, 1);
  static const std::map<std::string, int32_t> kNames = {
      {"blocker", sdk::kCritical}, {"highest", sdk::kCritical}, {"urgent", sdk::kCritical},
      {"critical", sdk::kHigh},    {"high", sdk::kHigh},         {"major", sdk::kHigh},
      {"medium", sdk::kMedium},    {"normal", sdk::kMedium},     {"moderate", sdk::kMedium},
      {"minor", sdk::kLow},        {"low", sdk::kLow},           {"lowest", sdk::kLow},
      {"trivial", sdk::kLow},      {"planning", sdk::kLow}};
  auto it = kNames.find(n);
  if (it == kNames.end()) {
    size_t cut = n.find_first_of(" (-:");
    if (cut != std::string::npos) it = kNames.find(n.substr(0, cut));
  }
  return it == kNames.end() ? 0 : it->second;
}

bool EmitIdentity(sdk::Output& out, const std::string& source, int64_t at_us, const std::vector<std::string>& ids) {
  std::vector<std::string> kept;
  for (const std::string& id : ids) {
    if (!id.empty() && std::find(kept.begin(), kept.end(), id) == kept.end()) kept.push_back(id);
  }
  if (kept.size() < 2) return true;
  if (kept.size() > 16) kept.resize(16);  // the host's limit per person
  std::string joined;
  for (const std::string& id : kept) joined += id + '\n';
  sdk::Event e;
  e.kind = sdk::kIdentity;
  e.source = source;
  e.occurred_at_us = at_us;
  e.event_id = source + ":identity:" + StableId(joined) + ":" + std::to_string(at_us);
  e.identities.push_back(std::move(kept));
  return out.Emit(e);
}

}  // namespace rapport::adapters

#include "store/keys.h"

#include "absl/strings/str_cat.h"

namespace rapport::keys {
namespace {

constexpr uint64_t kMonthBias = uint64_t{1} << 40;  // months before 1970 still sort

}  // namespace

void PutBigEndian64(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>((value >> shift) & 0xff));
}

uint64_t GetBigEndian64(absl::string_view bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < 8 && i < bytes.size(); ++i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return value;
}

std::string DeadlinePrefix(absl::string_view tenant) {
  return absl::StrCat("dl", absl::string_view("\0", 1), tenant, absl::string_view("\0", 1));
}

std::string Deadline(absl::string_view tenant, int64_t deadline_us, absl::string_view ticket) {
  std::string key = DeadlinePrefix(tenant);
  PutBigEndian64(&key, static_cast<uint64_t>(deadline_us));
  absl::StrAppend(&key, ticket);
  return key;
}

std::string AggregateMonthsPrefix(absl::string_view tenant, absl::string_view scope_tag) {
  return absl::StrCat(tenant, absl::string_view("\0", 1), scope_tag, absl::string_view("\0", 1), "m");
}

std::string AggregateMonth(absl::string_view tenant, absl::string_view scope_tag, int64_t month) {
  std::string key = AggregateMonthsPrefix(tenant, scope_tag);
  PutBigEndian64(&key, static_cast<uint64_t>(month) + kMonthBias);
  return key;
}

int64_t AggregateMonthOfKey(absl::string_view key) {
  return static_cast<int64_t>(GetBigEndian64(key.substr(key.size() - 8)) - kMonthBias);
}

std::string Finding(absl::string_view tenant, absl::string_view ticket, absl::string_view finding_id) {
  return absl::StrCat(TicketEventsPrefix(tenant, ticket), finding_id);
}

std::string TicketEventsPrefix(absl::string_view tenant, absl::string_view ticket) {
  std::string key;
  key.reserve(tenant.size() + ticket.size() + 2);
  absl::StrAppend(&key, tenant, absl::string_view("\0", 1), ticket, absl::string_view("\0", 1));
  return key;
}

std::string Event(absl::string_view tenant, absl::string_view ticket, int64_t occurred_us,
                  uint64_t arrival) {
  std::string key = TicketEventsPrefix(tenant, ticket);
  // Validation keeps occurred_at after 1990, so the value is positive and the
  // unsigned big-endian form sorts by time.
  PutBigEndian64(&key, static_cast<uint64_t>(occurred_us));
  PutBigEndian64(&key, arrival);
  return key;
}

std::string Dedupe(absl::string_view tenant, absl::string_view event_id) {
  return absl::StrCat(tenant, absl::string_view("\0", 1), event_id);
}

std::string Ticket(absl::string_view tenant, absl::string_view ticket) {
  return absl::StrCat(tenant, absl::string_view("\0", 1), ticket);
}

std::string TenantPrefix(absl::string_view tenant) {
  return absl::StrCat(tenant, absl::string_view("\0", 1));
}

std::string TenantMeta(absl::string_view tenant) { return absl::StrCat(kTenantMetaPrefix, tenant); }

std::string PrefixEnd(absl::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last != 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return end;  // empty: no upper bound
}

}  // namespace rapport::keys

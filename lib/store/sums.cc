#include "store/sums.h"

#include "rocksdb/merge_operator.h"

namespace rapport {
namespace {

constexpr char kFormat = 1;

void PutInt64(std::string* out, int64_t v) {
  uint64_t u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}

int64_t GetInt64(const char* p) {
  uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return static_cast<int64_t>(u);
}

class SumsMergeOperator final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    SumVector sums{};
    if (existing != nullptr && !AddEncodedSums(absl::string_view(existing->data(), existing->size()), &sums).ok()) {
      return false;
    }
    if (!AddEncodedSums(absl::string_view(value.data(), value.size()), &sums).ok()) return false;
    *new_value = EncodeSums(sums);
    return true;
  }
  const char* Name() const override { return "rapport.sums.v1"; }
};

}  // namespace

std::string EncodeSums(const SumVector& sums) {
  std::string out(1, kFormat);
  for (int slot = 0; slot < kSumSlots; ++slot) {
    if (sums[slot] == 0) continue;
    out.push_back(static_cast<char>(slot));
    PutInt64(&out, sums[slot]);
  }
  return out;
}

absl::Status AddEncodedSums(absl::string_view bytes, SumVector* sums) {
  if (bytes.empty()) return absl::OkStatus();
  if (bytes[0] != kFormat || (bytes.size() - 1) % 9 != 0) {
    return absl::InvalidArgumentError("not a sums value (format byte or length)");
  }
  int previous = -1;
  for (size_t i = 1; i < bytes.size(); i += 9) {
    int slot = static_cast<unsigned char>(bytes[i]);
    if (slot >= kSumSlots || slot <= previous) return absl::InvalidArgumentError("sums value with a bad slot");
    previous = slot;
    // Wrapping addition: a delta and its negation cancel exactly even if an
    // intermediate sum overflowed.
    (*sums)[slot] = static_cast<int64_t>(static_cast<uint64_t>((*sums)[slot]) +
                                         static_cast<uint64_t>(GetInt64(bytes.data() + i + 1)));
  }
  return absl::OkStatus();
}

std::string NegatedSums(absl::string_view encoded) {
  SumVector sums{};
  if (!AddEncodedSums(encoded, &sums).ok()) return EncodeSums(sums);
  for (int64_t& v : sums) v = static_cast<int64_t>(0 - static_cast<uint64_t>(v));
  return EncodeSums(sums);
}

std::shared_ptr<rocksdb::MergeOperator> NewSumsMergeOperator() { return std::make_shared<SumsMergeOperator>(); }

}  // namespace rapport

#include "store/sums.h"

#include <bit>
#include <cstring>
#include <deque>

#include "rocksdb/merge_operator.h"

namespace rapport {
namespace {

constexpr char kFormat = 1;

static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big);

void PutInt64(char* out, int64_t v) {
  uint64_t u = static_cast<uint64_t>(v);
  if constexpr (std::endian::native == std::endian::big) u = __builtin_bswap64(u);
  std::memcpy(out, &u, 8);
}

int64_t GetInt64(const char* p) {
  uint64_t u;
  std::memcpy(&u, p, 8);
  if constexpr (std::endian::native == std::endian::big) u = __builtin_bswap64(u);
  return static_cast<int64_t>(u);
}

// All operands of a key at once: one decode per operand, one encode.
class SumsMergeOperator final : public rocksdb::MergeOperator {
 public:
  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    SumVector sums{};
    if (in.existing_value != nullptr &&
        !AddEncodedSums(absl::string_view(in.existing_value->data(), in.existing_value->size()), &sums).ok()) {
      return false;
    }
    for (const rocksdb::Slice& operand : in.operand_list) {
      if (!AddEncodedSums(absl::string_view(operand.data(), operand.size()), &sums).ok()) return false;
    }
    out->new_value = EncodeSums(sums);
    return true;
  }

  bool PartialMergeMulti(const rocksdb::Slice& /*key*/, const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    SumVector sums{};
    for (const rocksdb::Slice& operand : operands) {
      if (!AddEncodedSums(absl::string_view(operand.data(), operand.size()), &sums).ok()) return false;
    }
    *new_value = EncodeSums(sums);
    return true;
  }

  const char* Name() const override { return "rapport.sums.v1"; }
};

}  // namespace

std::string EncodeSums(const SumVector& sums) {
  char buffer[1 + kSumSlots * 9];
  size_t n = 0;
  buffer[n++] = kFormat;
  for (int slot = 0; slot < kSumSlots; ++slot) {
    if (sums[slot] == 0) continue;
    buffer[n++] = static_cast<char>(slot);
    PutInt64(buffer + n, sums[slot]);
    n += 8;
  }
  return std::string(buffer, n);
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

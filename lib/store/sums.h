// Sums: the value format of Family::kAggregates, and its merge operator.
//
// A value is a sparse vector of exact integer sums: a format byte, then
// (slot u8, value int64 little-endian) pairs in increasing slot order, zero
// slots omitted. Writers add deltas with Batch::Merge instead of a read-
// modify-write, so concurrent ticket updates to one scope-day never conflict,
// and integer addition makes the result independent of the order in which
// deltas are applied: an incremental store and a rebuilt one hold identical
// bytes.
#ifndef RAPPORT_STORE_SUMS_H_
#define RAPPORT_STORE_SUMS_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rocksdb {
class MergeOperator;
}

namespace rapport {

inline constexpr int kSumSlots = 64;
using SumVector = std::array<int64_t, kSumSlots>;

std::string EncodeSums(const SumVector& sums);
// Adds the encoded value to *sums. InvalidArgument (DataLoss on the read
// path) when the bytes are not a sums value.
absl::Status AddEncodedSums(absl::string_view bytes, SumVector* sums);
// Returns the encoding of -sums, to take a contribution back out.
std::string NegatedSums(absl::string_view encoded);

// Adds operands slot by slot. A malformed operand fails the merge, which
// RocksDB reports as Corruption instead of storing garbage.
std::shared_ptr<rocksdb::MergeOperator> NewSumsMergeOperator();

}  // namespace rapport

#endif  // RAPPORT_STORE_SUMS_H_

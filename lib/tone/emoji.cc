#include "tone/emoji.h"

#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "tone/vader.h"

extern const unsigned char kEmojiLexicon[];
extern const size_t kEmojiLexicon_size;

namespace rapport::tone {
namespace {

// The code point starting at text[i] and its length in bytes; a byte that
// does not start valid UTF-8 stands for itself (length 1, no code point).
std::pair<uint32_t, size_t> DecodeAt(absl::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b = byte(i);
  size_t length = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 && b <= 0xDF ? 2 : 0;
  if (b >= 0xF5) length = 0;
  if (length == 0 || i + length > text.size()) return {0, 1};
  uint32_t cp = length == 2 ? b & 0x1F : length == 3 ? b & 0x0F : b & 0x07;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return {0, 1};
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  return {cp, length};
}

}  // namespace

const EmojiDescriptions& EmojiDescriptions::Default() {
  static const EmojiDescriptions* emoji = [] {
    auto made = FromText(absl::string_view(reinterpret_cast<const char*>(kEmojiLexicon), kEmojiLexicon_size));
    if (!made.ok()) std::abort();  // the compiled-in data is checked by the tests
    return made->release();
  }();
  return *emoji;
}

absl::StatusOr<std::unique_ptr<EmojiDescriptions>> EmojiDescriptions::FromText(absl::string_view lexicon) {
  std::unique_ptr<EmojiDescriptions> emoji(new EmojiDescriptions());
  absl::Status read = ForEachTabLine(lexicon, [&](int number, const std::vector<absl::string_view>& fields) {
    if (fields.size() < 2 || fields[0].empty() || fields[1].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("emoji lexicon line ", number, " is not 'emoji<TAB>description'"));
    }
    auto [cp, length] = DecodeAt(fields[0], 0);
    // An entry of several code points is never matched, as in the reference.
    if (cp >= 0x80 && length == fields[0].size()) emoji->by_code_point_.emplace(cp, std::string(fields[1]));
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  if (emoji->by_code_point_.empty()) return absl::InvalidArgumentError("the emoji lexicon is empty");
  return emoji;
}

const std::string* EmojiDescriptions::At(absl::string_view text, size_t i, size_t* length) const {
  auto [cp, bytes] = DecodeAt(text, i);
  *length = bytes;
  if (cp == 0) return nullptr;
  auto it = by_code_point_.find(cp);
  return it == by_code_point_.end() ? nullptr : &it->second;
}

bool EmojiDescriptions::Describe(absl::string_view text, std::string* out,
                                 std::vector<std::pair<uint32_t, uint32_t>>* origin) const {
  size_t first = 0;  // the first emoji, found before anything is copied
  // Eight ASCII bytes at a time: most text has no emoji, or nothing but ASCII.
  for (uint64_t word; first + 8 <= text.size(); first += 8) {
    std::memcpy(&word, text.data() + first, 8);
    if (word & 0x8080808080808080ull) break;
  }
  size_t length = 1;
  for (; first < text.size(); first += length) {
    length = 1;
    if (static_cast<unsigned char>(text[first]) >= 0xC2 && At(text, first, &length) != nullptr) break;
  }
  if (first >= text.size()) return false;

  out->assign(text.data(), first);
  if (origin != nullptr) {
    origin->clear();
    for (uint32_t k = 0; k < first; ++k) origin->push_back({k, k + 1});
  }
  bool previous_space = first == 0 || text[first - 1] == ' ';
  for (size_t i = first; i < text.size(); i += length) {
    const std::string* replacement = At(text, i, &length);
    const auto span = std::pair<uint32_t, uint32_t>(i, i + length);
    if (replacement != nullptr) {
      if (!previous_space) {
        out->push_back(' ');
        if (origin != nullptr) origin->push_back(span);
      }
      out->append(*replacement);
      if (origin != nullptr) origin->insert(origin->end(), replacement->size(), span);
      previous_space = false;
    } else {
      out->append(text.data() + i, length);
      if (origin != nullptr) origin->insert(origin->end(), length, span);
      previous_space = length == 1 && text[i] == ' ';
    }
  }
  return true;
}

}  // namespace rapport::tone

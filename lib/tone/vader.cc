#include "tone/vader.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tone/emoji.h"

extern const unsigned char kVaderLexicon[];
extern const size_t kVaderLexicon_size;

namespace rapport::tone {
namespace {

// Constants of the reference implementation (vaderSentiment 3.3).
constexpr double kBoosterIncrement = 0.293;
constexpr double kBoosterDecrement = -0.293;
constexpr double kCapsIncrement = 0.733;
constexpr double kNegationScalar = -0.74;

const absl::flat_hash_set<absl::string_view>& Negations() {
  static const auto* words = new absl::flat_hash_set<absl::string_view>{
      "aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt", "ain't", "aren't", "can't",
      "couldn't", "daren't", "didn't", "doesn't", "dont", "hadnt", "hasnt", "havent", "isnt", "mightnt", "mustnt",
      "neither", "don't", "hadn't", "hasn't", "haven't", "isn't", "mightn't", "mustn't", "neednt", "needn't",
      "never", "none", "nope", "nor", "not", "nothing", "nowhere", "oughtnt", "shant", "shouldnt", "uhuh", "wasnt",
      "werent", "oughtn't", "shan't", "shouldn't", "uh-uh", "wasn't", "weren't", "without", "wont", "wouldnt",
      "won't", "wouldn't", "rarely", "seldom", "despite"};
  return *words;
}

const absl::flat_hash_map<absl::string_view, double>& Boosters() {
  static const auto* boosters = [] {
    auto* m = new absl::flat_hash_map<absl::string_view, double>;
    for (absl::string_view w :
         {"absolutely", "amazingly", "awfully", "completely", "considerable", "considerably", "decidedly", "deeply",
          "effing", "enormous", "enormously", "entirely", "especially", "exceptional", "exceptionally", "extreme",
          "extremely", "fabulously", "flipping", "flippin", "frackin", "fracking", "fricking", "frickin", "frigging",
          "friggin", "fully", "fuckin", "fucking", "fuggin", "fugging", "greatly", "hella", "highly", "hugely",
          "incredible", "incredibly", "intensely", "major", "majorly", "more", "most", "particularly", "purely",
          "quite", "really", "remarkably", "so", "substantially", "thoroughly", "total", "totally", "tremendous",
          "tremendously", "uber", "unbelievably", "unusually", "utter", "utterly", "very"}) {
      (*m)[w] = kBoosterIncrement;
    }
    for (absl::string_view w :
         {"almost", "barely", "hardly", "just enough", "kind of", "kinda", "kindof", "kind-of", "less", "little",
          "marginal", "marginally", "occasional", "occasionally", "partly", "scarce", "scarcely", "slight", "slightly",
          "somewhat", "sort of", "sorta", "sortof", "sort-of"}) {
      (*m)[w] = kBoosterDecrement;
    }
    return m;
  }();
  return *boosters;
}

// Multi-word expressions whose valence replaces the word's own.
const absl::flat_hash_map<absl::string_view, double>& SpecialCases() {
  static const auto* cases = new absl::flat_hash_map<absl::string_view, double>{
      {"the shit", 3}, {"the bomb", 3}, {"bad ass", 1.5}, {"badass", 1.5}, {"bus stop", 0.0},
      {"yeah right", -2}, {"kiss of death", -1.5}, {"to die for", 3}, {"beating heart", 3.1},
      {"broken heart", -2.9}};
  return *cases;
}

// Idioms whose words carry no sentiment on their own; the reference lists
// them but leaves them unused, so they are applied as a separate pass.
struct Idiom {
  std::vector<absl::string_view> words;
  double valence;
};
const std::vector<Idiom>& Idioms() {
  static const auto* idioms = new std::vector<Idiom>{
      {{"cut", "the", "mustard"}, 2}, {{"hand", "to", "mouth"}, -2}, {{"back", "handed"}, -2},
      {{"blow", "smoke"}, -2}, {{"blowing", "smoke"}, -2}, {{"upper", "hand"}, 1}, {{"break", "a", "leg"}, 2},
      {{"cooking", "with", "gas"}, 2}, {{"in", "the", "black"}, 2}, {{"in", "the", "red"}, -2},
      {{"on", "the", "ball"}, 2}, {{"under", "the", "weather"}, -2}};
  return *idioms;
}

// ASCII whitespace, without the locale lookup of std::isspace.
inline bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

bool IsPunctuation(char c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~');
}

// Python's str.isupper(): some cased character and no lowercase one.
bool IsUpper(absl::string_view s) {
  bool cased = false;
  for (char c : s) {
    if (c >= 'a' && c <= 'z') return false;
    if (c >= 'A' && c <= 'Z') cased = true;
  }
  return cased;
}

struct Token {
  absl::string_view text;   // as written
  absl::string_view lower;  // the same span of the lowercased text
};

bool IsNegation(absl::string_view lower) {
  return Negations().contains(lower) || lower.find("n't") != absl::string_view::npos;
}

double BoosterScalar(const Token& token, double valence, bool caps_differ) {
  auto it = Boosters().find(token.lower);
  if (it == Boosters().end()) return 0;
  double scalar = valence < 0 ? -it->second : it->second;
  if (caps_differ && IsUpper(token.text)) scalar += valence > 0 ? kCapsIncrement : -kCapsIncrement;
  return scalar;
}

// Words that begin a multi-word special case or booster: only n-grams
// starting with one of them can match, so no other n-gram is built.
const absl::flat_hash_set<absl::string_view>& NgramStarts() {
  static const auto* starts = [] {
    auto* set = new absl::flat_hash_set<absl::string_view>;
    auto add = [&](absl::string_view key) {
      size_t space = key.find(' ');
      if (space != absl::string_view::npos) set->insert(key.substr(0, space));
    };
    for (const auto& [key, valence] : SpecialCases()) add(key);
    for (const auto& [key, scalar] : Boosters()) add(key);
    return set;
  }();
  return *starts;
}

// Joins lowercase tokens [from, to] with single spaces into `out`.
absl::string_view Join(const std::vector<Token>& tokens, int from, int to, std::string* out) {
  out->clear();
  for (int k = from; k <= to; ++k) {
    if (k > from) out->push_back(' ');
    out->append(tokens[k].lower.data(), tokens[k].lower.size());
  }
  return *out;
}

// "error", "failed", "broken", "problem", "denied", ...: a lexicon word that
// names an IT fault (Valence::support_compound).
bool IsFaultWord(absl::string_view lowercase_token) {
  static const auto* words = new absl::flat_hash_set<absl::string_view>{
      "error",  "errors",  "fail",  "fails",    "failed",   "failing", "failure", "failures", "broken",   "crash",
      "problem", "problems", "denied", "fatal", "warning", "warnings", "missing", "offline",
      "spam",   "infected"};
  return words->contains(lowercase_token);
}

struct Scratch {
  std::string described;  // the text with its emoji described, when it has any
  std::string lower;
  std::vector<Token> tokens;
  std::vector<double> sentiments;
  std::string ngram;
  std::vector<char> starts_ngram;  // per token: NgramStarts() has it
  std::vector<char> fault_negative;  // per token: an undenied fault word
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

}  // namespace

absl::Status ForEachTabLine(absl::string_view text,
                            absl::FunctionRef<absl::Status(int number, const std::vector<absl::string_view>& fields)> fn) {
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (absl::Status s = fn(number, absl::StrSplit(line, '\t')); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void LowerInto(absl::string_view in, std::string* out) {
  out->resize(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    (*out)[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
}

std::unique_ptr<Vader> Vader::FromEmbedded() {
  auto vader = FromText(absl::string_view(reinterpret_cast<const char*>(kVaderLexicon), kVaderLexicon_size));
  return vader.ok() ? std::move(*vader) : nullptr;
}

absl::StatusOr<std::unique_ptr<Vader>> Vader::FromFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot open the lexicon ", path));
  std::stringstream text;
  text << file.rdbuf();
  return FromText(text.str());
}

absl::StatusOr<std::unique_ptr<Vader>> Vader::FromText(absl::string_view lexicon) {
  std::unique_ptr<Vader> vader(new Vader());
  absl::Status read = ForEachTabLine(lexicon, [&](int number, const std::vector<absl::string_view>& fields) {
    double valence = 0;
    if (fields.size() < 2 || !absl::SimpleAtod(fields[1], &valence)) {
      return absl::InvalidArgumentError(absl::StrCat("lexicon line ", number, " is not 'token<TAB>valence'"));
    }
    vader->lexicon_[std::string(fields[0])] = valence;
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  if (vader->lexicon_.empty()) return absl::InvalidArgumentError("the lexicon is empty");
  return vader;
}

const double* Vader::Lookup(absl::string_view lowercase_token) const {
  auto it = lexicon_.find(lowercase_token);
  return it == lexicon_.end() ? nullptr : &it->second;
}

Valence Vader::Score(absl::string_view text) const {
  Scratch& s = ThreadScratch();
  return ScoreDescribed(EmojiDescriptions::Default().Describe(text, &s.described, nullptr) ? s.described : text);
}

Valence Vader::ScoreDescribed(absl::string_view text) const {
  Scratch& s = ThreadScratch();
  LowerInto(text, &s.lower);
  s.tokens.clear();
  // Whitespace tokens with surrounding punctuation stripped, unless that
  // leaves two characters or fewer (which keeps emoticons like ":)").
  for (size_t i = 0; i < text.size();) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !IsSpace(text[i])) ++i;
    if (start == i) break;
    size_t b = start, e = i;
    while (b < e && IsPunctuation(text[b])) ++b;
    while (e > b && IsPunctuation(text[e - 1])) --e;
    if (e - b <= 2) b = start, e = i;
    s.tokens.push_back({text.substr(b, e - b), absl::string_view(s.lower).substr(b, e - b)});
  }
  const std::vector<Token>& words = s.tokens;
  const int n = static_cast<int>(words.size());
  s.starts_ngram.resize(n);
  s.fault_negative.assign(n, false);
  for (int k = 0; k < n; ++k) s.starts_ngram[k] = NgramStarts().contains(words[k].lower);
  // The lexicon value of the n-gram words [from, to] in `table`, if any.
  auto ngram = [&](const absl::flat_hash_map<absl::string_view, double>& table, int from, int to) -> const double* {
    if (!s.starts_ngram[from]) return nullptr;
    auto it = table.find(Join(words, from, to, &s.ngram));
    return it == table.end() ? nullptr : &it->second;
  };
  int upper_count = 0;
  for (const Token& t : words) upper_count += IsUpper(t.text);
  const bool caps_differ = upper_count > 0 && upper_count < n;

  Valence result;
  result.tokens = n;
  std::vector<double>& sentiments = s.sentiments;
  sentiments.clear();
  auto in_lexicon = [&](int k) { return Lookup(words[k].lower) != nullptr; };
  for (int i = 0; i < n; ++i) {
    absl::string_view item = words[i].lower;
    double valence = 0;
    if (Boosters().contains(item) || (i < n - 1 && item == "kind" && words[i + 1].lower == "of")) {
      sentiments.push_back(0);
      continue;
    }
    const double* base = Lookup(item);
    if (base == nullptr) {
      sentiments.push_back(0);
      continue;
    }
    ++result.lexicon_hits;
    valence = *base;
    // "no" before another lexicon word negates it rather than counting itself.
    if (item == "no" && i != n - 1 && in_lexicon(i + 1)) valence = 0;
    if ((i > 0 && words[i - 1].lower == "no") || (i > 1 && words[i - 2].lower == "no") ||
        (i > 2 && words[i - 3].lower == "no" && (words[i - 1].lower == "or" || words[i - 1].lower == "nor"))) {
      valence = *base * kNegationScalar;
    }
    if (caps_differ && IsUpper(words[i].text)) valence += valence > 0 ? kCapsIncrement : -kCapsIncrement;

    for (int start = 0; start < 3; ++start) {
      if (i <= start || in_lexicon(i - (start + 1))) continue;
      double scalar = BoosterScalar(words[i - (start + 1)], valence, caps_differ);
      if (start == 1 && scalar != 0) scalar *= 0.95;
      if (start == 2 && scalar != 0) scalar *= 0.9;
      valence += scalar;
      // Negation within three words.
      const absl::string_view w1 = words[i - 1].lower;
      if (start == 0) {
        if (IsNegation(w1)) valence *= kNegationScalar;
      } else if (start == 1) {
        const absl::string_view w2 = words[i - 2].lower;
        if (w2 == "never" && (w1 == "so" || w1 == "this")) {
          valence *= 1.25;
        } else if (w2 == "without" && w1 == "doubt") {
        } else if (IsNegation(w2)) {
          valence *= kNegationScalar;
        }
      } else {
        const absl::string_view w2 = words[i - 2].lower, w3 = words[i - 3].lower;
        if ((w3 == "never" && (w2 == "so" || w2 == "this")) || (w1 == "so" || w1 == "this")) {
          valence *= 1.25;
        } else if (w3 == "without" && (w2 == "doubt" || w1 == "doubt")) {
        } else if (IsNegation(w3)) {
          valence *= kNegationScalar;
        }
        // Special multi-word cases and idioms around the word.
        const auto& special = SpecialCases();
        for (auto [from, to] : {std::pair{i - 1, i}, {i - 2, i}, {i - 2, i - 1}, {i - 3, i - 1}, {i - 3, i - 2}}) {
          if (const double* v = ngram(special, from, to)) {
            valence = *v;
            break;
          }
        }
        if (n - 1 > i) {
          if (const double* v = ngram(special, i, i + 1)) valence = *v;
        }
        if (n - 1 > i + 1) {
          if (const double* v = ngram(special, i, i + 2)) valence = *v;
        }
        for (auto [from, to] : {std::pair{i - 3, i - 1}, {i - 3, i - 2}, {i - 2, i - 1}}) {
          if (const double* v = ngram(Boosters(), from, to)) valence += *v;
        }
      }
    }
    // "least" negates, except in "at least" / "very least".
    if (i > 1 && !in_lexicon(i - 1) && words[i - 1].lower == "least") {
      if (words[i - 2].lower != "at" && words[i - 2].lower != "very") valence *= kNegationScalar;
    } else if (i > 0 && !in_lexicon(i - 1) && words[i - 1].lower == "least") {
      valence *= kNegationScalar;
    }
    sentiments.push_back(valence);
    // Read as a help desk does, a fault counts only when denied: "it failed"
    // is news, "no problems since" and "it isn't broken" are good news.
    s.fault_negative[i] = valence < 0 && IsFaultWord(item);
  }

  for (const Idiom& idiom : Idioms()) {
    const int len = static_cast<int>(idiom.words.size());
    for (int i = 0; i + len <= n; ++i) {
      bool match = true;
      for (int k = 0; k < len && match; ++k) match = words[i + k].lower == idiom.words[k];
      if (!match) continue;
      for (int k = 0; k < len; ++k) sentiments[i + k] = 0, s.fault_negative[i + k] = false;
      sentiments[i + len - 1] = idiom.valence;
      if (i > 0 && IsNegation(words[i - 1].lower)) sentiments[i + len - 1] *= kNegationScalar;
    }
  }

  // The contrastive "but": what follows weighs more than what precedes.
  for (int i = 0; i < n; ++i) {
    if (words[i].lower != "but") continue;
    for (int k = 0; k < n; ++k) {
      if (k < i) sentiments[k] *= 0.5;
      if (k > i) sentiments[k] *= 1.5;
    }
    break;
  }

  if (sentiments.empty()) return result;
  double sum = 0, support_sum = 0;
  for (int k = 0; k < n; ++k) {
    sum += sentiments[k];
    if (!s.fault_negative[k]) support_sum += sentiments[k];
  }
  int exclamations = 0, questions = 0;
  for (char c : text) {
    exclamations += c == '!';
    questions += c == '?';
  }
  double emphasis = std::min(exclamations, 4) * 0.292;
  if (questions > 1) emphasis += questions <= 3 ? questions * 0.18 : 0.96;
  auto normalize = [emphasis](double total) {
    if (total > 0) total += emphasis;
    if (total < 0) total -= emphasis;
    return std::clamp(total / std::sqrt(total * total + 15), -1.0, 1.0);
  };
  result.compound = normalize(sum);
  result.support_compound = normalize(support_sum);

  double pos_sum = 0, neg_sum = 0;
  int neutral = 0;
  for (double v : sentiments) {
    if (v > 0) pos_sum += v + 1;
    if (v < 0) neg_sum += v - 1;
    if (v == 0) ++neutral;
  }
  if (pos_sum > std::fabs(neg_sum)) pos_sum += emphasis;
  if (pos_sum < std::fabs(neg_sum)) neg_sum -= emphasis;
  double total = pos_sum + std::fabs(neg_sum) + neutral;
  if (total > 0) {
    result.pos = std::fabs(pos_sum / total);
    result.neg = std::fabs(neg_sum / total);
    result.neu = std::fabs(neutral / total);
  }
  return result;
}

}  // namespace rapport::tone

#include "tone/politeness.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace rapport::tone {
namespace {

const char* const kStrategyNames[kStrategyCount] = {
    "gratitude", "apology", "deference", "greeting", "please", "please_start", "hedge", "indirect_btw",
    "direct_question", "direct_start", "counterfactual", "indicative", "first_person_start", "first_person_plural",
    "first_person", "second_person", "second_person_start", "factuality", "positive_words", "negative_words",
    "question", "imperative", "exclamation", "blame", "dismissal", "threat", "sarcasm", "shouting", "profanity",
    "frustration"};

using WordSet = absl::flat_hash_set<absl::string_view>;

const WordSet& Words(Strategy s) {
  static const auto* sets = [] {
    auto* m = new absl::flat_hash_map<int, WordSet>;
    (*m)[kGratitude] = {"thank", "thanks", "thankful", "appreciate", "appreciated", "grateful", "thx"};
    (*m)[kApology] = {"sorry", "apologize", "apologise", "apologies", "apology", "oops", "regret", "regrets"};
    (*m)[kDeference] = {"great", "good", "nice", "interesting", "cool", "excellent", "awesome", "wonderful"};
    (*m)[kGreeting] = {"hi", "hello", "hey", "greetings", "dear", "morning", "afternoon", "evening"};
    (*m)[kHedge] = {"think", "believe", "suggest", "maybe", "perhaps", "possibly", "probably", "guess", "seems",
                    "seem", "might", "apparently", "wonder", "wondering", "presumably", "somewhat", "assume"};
    (*m)[kDirectQuestion] = {"what", "why", "who", "how", "where", "when", "which"};
    (*m)[kDirectStart] = {"so", "then", "and", "but", "or"};
    (*m)[kFirstPersonStart] = {"i", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll"};
    (*m)[kFirstPersonPlural] = {"we", "our", "us", "ours", "ourselves", "we're", "we've", "we'll"};
    (*m)[kSecondPerson] = {"you", "your", "yours", "yourself", "you're", "you've", "you'll", "you'd", "u", "ur"};
    (*m)[kImperative] = {"do", "don't", "read", "check", "send", "stop", "try", "restart", "reinstall", "fix",
                         "look", "give", "tell", "make", "use", "go", "see", "get", "put", "take", "call", "bring",
                         "open", "close", "click", "install", "update", "delete", "remove", "add", "explain",
                         "answer", "provide", "keep", "leave", "wait", "write", "learn", "note", "show", "fill",
                         "follow", "contact", "ask", "talk", "reboot", "reset", "login", "log", "stay", "quit",
                         "turn", "change", "move", "submit", "sign", "google", "figure", "deal", "calm", "listen"};
    return m;
  }();
  return sets->at(s);
}

// Every word list above folded into one lookup: word -> bit set of strategies.
const absl::flat_hash_map<absl::string_view, uint32_t>& WordClasses() {
  static const auto* classes = [] {
    auto* m = new absl::flat_hash_map<absl::string_view, uint32_t>;
    for (Strategy s : {kGratitude, kApology, kDeference, kGreeting, kHedge, kDirectQuestion, kDirectStart,
                       kFirstPersonStart, kFirstPersonPlural, kSecondPerson, kImperative}) {
      for (absl::string_view w : Words(s)) (*m)[w] |= 1u << s;
    }
    return m;
  }();
  return *classes;
}

struct Phrase {
  absl::string_view text;
  Strategy strategy;
};

// Multi-word cues, matched on word boundaries in the lowercased text.
const std::vector<Phrase>& Phrases() {
  static const auto* phrases = new std::vector<Phrase>{
      {"excuse me", kApology}, {"my bad", kApology}, {"good morning", kGreeting}, {"good afternoon", kGreeting},
      {"by the way", kIndirectBtw}, {"btw", kIndirectBtw}, {"could you", kCounterfactual},
      {"would you", kCounterfactual}, {"would it be possible", kCounterfactual}, {"can you", kIndicative},
      {"will you", kIndicative}, {"in fact", kFactuality}, {"actually", kFactuality}, {"the point is", kFactuality},
      {"the reality", kFactuality}, {"the truth", kFactuality},
      // Blame.
      {"you should have", kBlame}, {"you should've", kBlame}, {"your fault", kBlame}, {"your own fault", kBlame},
      {"user error", kBlame}, {"read the instructions", kBlame}, {"read the manual", kBlame},
      {"read the faq", kBlame}, {"rtfm", kBlame}, {"as i already said", kBlame}, {"as i said", kBlame},
      {"as already said", kBlame}, {"i already told you", kBlame}, {"already told you", kBlame},
      {"like i said", kBlame}, {"you didn't even", kBlame}, {"you didn't try", kBlame},
      {"you did not try", kBlame}, {"you never", kBlame}, {"you failed to", kBlame},
      {"how many times", kBlame}, {"for the last time", kBlame}, {"did you even", kBlame}, {"do you even", kBlame},
      {"per my last email", kBlame}, {"per my previous email", kBlame}, {"as previously stated", kBlame},
      {"as stated before", kBlame}, {"as mentioned before", kBlame}, {"if you had read", kBlame},
      {"if you'd read", kBlame}, {"stop wasting", kBlame}, {"wasting our time", kBlame},
      // Dismissal.
      {"not our problem", kDismissal}, {"not my problem", kDismissal}, {"works for me", kDismissal},
      {"works on my machine", kDismissal}, {"can't help you", kDismissal}, {"cannot help you", kDismissal},
      {"nothing we can do", kDismissal}, {"not my job", kDismissal}, {"not our job", kDismissal},
      {"deal with it", kDismissal}, {"talk to your manager", kDismissal}, {"not our responsibility", kDismissal},
      {"figure it out", kDismissal}, {"stop complaining", kDismissal}, {"not supported, period", kDismissal},
      {"out of scope", kDismissal}, {"not my department", kDismissal}, {"not our department", kDismissal},
      {"live with it", kDismissal}, {"it is what it is", kDismissal}, {"that's how it is", kDismissal},
      // Threats.
      {"breach of contract", kThreat}, {"will be closed", kThreat}, {"be closed if", kThreat},
      {"disciplinary", kThreat}, {"will be reported", kThreat}, {"report you", kThreat}, {"or else", kThreat},
      {"last warning", kThreat}, {"final warning", kThreat}, {"consequences", kThreat},
      {"escalate this to your manager", kThreat},
      // Sarcasm markers.
      {"obviously", kSarcasm}, {"clearly you", kSarcasm}, {"yeah right", kSarcasm}, {"good luck with that", kSarcasm},
      {"congratulations", kSarcasm}, {"genius", kSarcasm}, {"surely you", kSarcasm}, {"shocking", kSarcasm},
      {"what a surprise", kSarcasm}, {"thanks for nothing", kSarcasm}, {"thanks a lot for nothing", kSarcasm},
      {"thank you for nothing", kSarcasm}, {"nice try", kSarcasm}, {"oh great", kSarcasm}, {"just great", kSarcasm},
      {"just perfect", kSarcasm}, {"way to go", kSarcasm},
      // Frustration: how upset requesters write to a help desk, beyond what
      // general sentiment lexicons see.
      {"can't work", kFrustration}, {"cannot work", kFrustration}, {"can not work", kFrustration},
      {"unacceptable", kFrustration}, {"nobody answers", kFrustration}, {"nobody helps", kFrustration},
      {"nobody seems to care", kFrustration}, {"no one answers", kFrustration}, {"no one helps", kFrustration},
      {"waiting for days", kFrustration}, {"waited for days", kFrustration}, {"third time", kFrustration},
      {"second time", kFrustration}, {"again and again", kFrustration}, {"still can't", kFrustration},
      {"still cannot", kFrustration}, {"still not", kFrustration}, {"desperate", kFrustration},
      {"frustrating", kFrustration}, {"frustrated", kFrustration}, {"disappointed", kFrustration},
      {"blocked", kFrustration}, {"stuck", kFrustration}, {"furious", kFrustration}, {"losing hours", kFrustration},
      {"wasting my time", kFrustration}, {"waste of time", kFrustration}, {"is anyone", kFrustration},
      {"anyone there", kFrustration}, {"ridiculous", kFrustration}, {"fed up", kFrustration},
      {"worried", kFrustration}, {"disaster", kFrustration}, {"nothing works", kFrustration},
      {"missed the deadline", kFrustration}, {"why is this", kFrustration}};
  return *phrases;
}

// Phrases by their first word, so matching costs one lookup per token.
const absl::flat_hash_map<absl::string_view, std::vector<const Phrase*>>& PhrasesByFirstWord() {
  static const auto* index = [] {
    auto* m = new absl::flat_hash_map<absl::string_view, std::vector<const Phrase*>>;
    for (const Phrase& p : Phrases()) (*m)[p.text.substr(0, p.text.find(' '))].push_back(&p);
    return m;
  }();
  return *index;
}

// Letters, digits, apostrophes and any non-ASCII byte (part of a UTF-8
// letter); ASCII tests inline, without the locale lookups of <cctype>.
inline bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '\'' || (c & 0x80);
}

// Finds `needle` in `hay` at word boundaries from `from`; npos when absent.
size_t FindWord(absl::string_view hay, absl::string_view needle, size_t from = 0) {
  while (true) {
    size_t at = hay.find(needle, from);
    if (at == absl::string_view::npos) return at;
    bool left = at == 0 || !IsWordChar(hay[at - 1]);
    size_t end = at + needle.size();
    bool right = end >= hay.size() || !IsWordChar(hay[end]);
    if (left && right) return at;
    from = at + 1;
  }
}

// A line of pasted code or log output rather than prose.
bool LooksLikeCode(absl::string_view line) {
  absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(line);
  if (trimmed.empty()) return false;
  if (line.size() - trimmed.size() >= 4 || line[0] == '\t') return true;  // indented block
  if (absl::StartsWith(trimmed, "at ") && trimmed.find('(') != absl::string_view::npos) return true;
  if (trimmed.find("Exception") != absl::string_view::npos || trimmed.find("Traceback") != absl::string_view::npos)
    return true;
  int symbols = 0, digits = 0, letters = 0;
  for (char c : trimmed) {
    switch (c) {
      case '{': case '}': case '[': case ']': case ';': case '<': case '>': case '=': case '|': case '\\':
      case '/': case '_': case '$': case '#':
        ++symbols;
        break;
      default:
        digits += c >= '0' && c <= '9';
        letters += (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }
  }
  // Timestamps and error codes (e.g. "2026-09-01 12:00:01 ERROR 0x80070005").
  if (digits >= 8 && digits * 2 >= letters) return true;
  return symbols >= 4 && symbols * 4 >= static_cast<int>(trimmed.size());
}

// "..." quotations within a line, blanked with spaces.
void MaskInlineQuotes(std::string* masked) {
  for (size_t open = masked->find('"'); open != std::string::npos;) {
    size_t close = masked->find('"', open + 1);
    size_t newline = masked->find('\n', open + 1);
    if (close == std::string::npos || (newline != std::string::npos && newline < close)) break;
    std::fill(masked->begin() + open, masked->begin() + close + 1, ' ');
    open = masked->find('"', close + 1);
  }
}

const WordSet& EnglishFunctionWords() {
  static const auto* words = new WordSet{
      "the", "a", "an", "and", "or", "but", "is", "are", "was", "were", "be", "been", "to", "of", "in", "on", "at",
      "for", "with", "it", "this", "that", "i", "you", "we", "he", "she", "they", "my", "your", "our", "not", "no",
      "do", "does", "did", "have", "has", "had", "can", "could", "will", "would", "should", "please", "thanks",
      "thank", "hi", "hello", "if", "so", "as", "me", "from", "by", "all", "any", "there", "what", "when", "how",
      "why", "still", "again", "just", "now", "here", "it's", "i'm", "don't", "can't", "is", "its", "up", "out"};
  return *words;
}

// The first `count` lines of `rest`, which starts at a line break.
absl::string_view NextLines(absl::string_view rest, int count) {
  size_t end = 0;
  for (int k = 0; k < count && end != absl::string_view::npos; ++k) end = rest.find('\n', end + 1);
  return rest.substr(0, end);
}

// A line that opens an earlier message quoted below a reply, as mail clients
// write it: "On Mon, … Bob <bob@…> wrote:" (possibly wrapped onto the next
// line), "-----Original Message-----", "Begin forwarded message:", or a
// "From:" line followed by a "Sent:"/"Date:" line (Outlook, Apple Mail), and
// their German and French forms. `rest` is the text after the line.
bool OpensQuotedThread(absl::string_view line, absl::string_view rest) {
  if (line.empty()) return false;
  auto within = [&](absl::string_view needle) {
    return absl::StrContains(line, needle) || absl::StrContains(NextLines(rest, 2), needle);
  };
  if (absl::StartsWith(line, "On ")) return within("wrote:");
  if (absl::StartsWith(line, "Am ")) return within("schrieb");
  if (absl::StartsWith(line, "Le ")) return within("a \xc3\xa9" "crit");
  if (absl::StartsWith(line, "-----") || absl::StartsWith(line, "Begin forwarded message")) {
    return absl::StrContains(line, "riginal") || absl::StrContains(line, "orward") ||
           absl::StrContains(line, "Urspr\xc3\xbcngliche");
  }
  if (absl::StartsWith(line, "From:") || absl::StartsWith(line, "Von:") || absl::StartsWith(line, "De :") ||
      absl::StartsWith(line, "De:")) {
    absl::string_view next = NextLines(rest, 5);
    for (absl::string_view header : {"\nSent:", "\nDate:", "\nGesendet:", "\nDatum:", "\nEnvoy\xc3\xa9"}) {
      if (absl::StrContains(next, header)) return true;
    }
  }
  return false;
}

// Where the next Jira wiki-markup block marker ("{quote}", "{code}",
// "{code:java}", "{noformat}") starts at or after `from`, and its length.
std::pair<size_t, size_t> NextJiraMarker(absl::string_view line, size_t from) {
  for (size_t at = line.find('{', from); at != absl::string_view::npos; at = line.find('{', at + 1)) {
    absl::string_view rest = line.substr(at + 1);
    for (absl::string_view name : {"quote", "code", "noformat"}) {
      if (!absl::StartsWith(rest, name)) continue;
      size_t close = line.find('}', at);
      char after = rest.size() > name.size() ? rest[name.size()] : '\0';
      if (close != absl::string_view::npos && (after == '}' || after == ':')) return {at, close + 1 - at};
    }
  }
  return {absl::string_view::npos, 0};
}

// Blanks the Jira-markup blocks of one line (at `offset` in `masked`), the
// whole line while `inside` one; returns whether a block stays open.
bool MaskJiraBlocks(absl::string_view line, size_t offset, bool inside, std::string* masked, bool* changed) {
  size_t block_start = 0, pos = 0;
  auto blank = [&](size_t from, size_t to) {
    if (to > from) {
      *changed = *changed || !absl::StripAsciiWhitespace(line.substr(from, to - from)).empty();
      std::fill(masked->begin() + offset + from, masked->begin() + offset + to, ' ');
    }
  };
  for (auto [at, length] = NextJiraMarker(line, pos); at != absl::string_view::npos;
       std::tie(at, length) = NextJiraMarker(line, pos)) {
    if (inside) {
      blank(block_start, at + length);
    } else {
      block_start = at;
    }
    inside = !inside;
    pos = at + length;
  }
  if (inside) blank(block_start, line.size());
  return inside;
}

}  // namespace

bool MaskQuotedLines(absl::string_view text, std::string* masked) {
  masked->assign(text.data(), text.size());
  bool fenced = false, changed = false;
  bool jira_block = false;  // inside {quote}, {code} or {noformat}
  size_t line_start = 0;
  while (line_start <= masked->size()) {
    size_t line_end = masked->find('\n', line_start);
    if (line_end == std::string::npos) line_end = masked->size();
    absl::string_view line = text.substr(line_start, line_end - line_start);
    absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(line);
    if (!fenced && OpensQuotedThread(trimmed, text.substr(line_end))) {
      // Everything from here down is the earlier thread, not this reply.
      changed = changed || absl::StripAsciiWhitespace(text.substr(line_start)).size() > 0;
      std::fill(masked->begin() + line_start, masked->end(), ' ');
      break;
    }
    bool fence = absl::StartsWith(trimmed, "```");
    // Jira wiki markup: {quote}, {code} and {noformat} blocks, "bq." lines.
    if (!fence && !fenced && (jira_block || line.find('{') != absl::string_view::npos)) {
      jira_block = MaskJiraBlocks(line, line_start, jira_block, masked, &changed);
    }
    if (fence || fenced || absl::StartsWith(trimmed, ">") || absl::StartsWith(trimmed, "bq. ") || LooksLikeCode(line)) {
      std::fill(masked->begin() + line_start, masked->begin() + line_end, ' ');
      changed = changed || !trimmed.empty();
    }
    if (fence) fenced = !fenced;
    line_start = line_end + 1;
  }
  return changed;
}

const char* StrategyName(Strategy s) { return kStrategyNames[s]; }

struct PolitenessModel::Features {
  double strategies[kStrategyCount] = {};
  std::vector<absl::string_view> words;  // lowercase tokens of the writer's own text
  std::vector<double> word_weights;      // the model's weight of each of them
  std::vector<Cue> cues;
  bool low_confidence = false;
};

absl::StatusOr<std::unique_ptr<PolitenessModel>> PolitenessModel::FromText(absl::string_view model,
                                                                          absl::string_view rude_lexicon) {
  std::unique_ptr<PolitenessModel> m(new PolitenessModel());
  int number = 0;
  for (absl::string_view line : absl::StrSplit(model, '\n')) {
    ++number;
    line = absl::StripTrailingAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
    double weight = 0;
    if (f.size() != 3 || !absl::SimpleAtod(f[2], &weight)) {
      return absl::InvalidArgumentError(absl::StrCat("politeness model line ", number, " is not kind<TAB>name<TAB>weight"));
    }
    if (f[0] == "bias") {
      m->bias_ = weight;
    } else if (f[0] == "word") {
      m->words_[std::string(f[1])].weight = weight;
    } else if (f[0] == "strategy") {
      bool known = false;
      for (int s = 0; s < kStrategyCount; ++s) {
        if (f[1] == kStrategyNames[s]) {
          m->strategy_weights_[s] = weight;
          known = true;
        }
      }
      if (!known) return absl::InvalidArgumentError(absl::StrCat("unknown strategy '", f[1], "' on line ", number));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown entry kind '", f[0], "' on line ", number));
    }
  }
  for (absl::string_view line : absl::StrSplit(rude_lexicon, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::string entry = absl::AsciiStrToLower(line);
    if (entry.find(' ') != std::string::npos) {
      m->rude_phrases_.push_back(entry);
    } else {
      m->words_[entry].rude = true;
    }
  }
  for (const auto& [word, classes] : WordClasses()) m->words_[std::string(word)].classes = classes;
  for (absl::string_view word : EnglishFunctionWords()) m->words_[std::string(word)].function_word = true;
  for (const auto& [word, phrases] : PhrasesByFirstWord()) m->words_[std::string(word)].starts_phrase = true;
  return m;
}

void PolitenessModel::Extract(absl::string_view text, const Vader& vader, bool lines_masked, Features* f) const {
  thread_local std::string masked, lower;
  if (lines_masked) {
    masked.assign(text.data(), text.size());
  } else {
    MaskQuotedLines(text, &masked);
  }
  MaskInlineQuotes(&masked);
  LowerInto(masked, &lower);
  const absl::string_view low(lower);
  auto add_cue = [&](Strategy s, size_t begin, size_t end) {
    f->strategies[s] += 1;
    f->cues.push_back({kStrategyNames[s], begin, end});
  };

  // Tokens of the writer's own text, with sentence starts.
  struct Tok {
    absl::string_view word;
    size_t begin;
    bool sentence_start;
  };
  thread_local std::vector<Tok> toks;
  toks.clear();
  bool at_start = true;
  int letters = 0, non_ascii = 0, caps_words = 0, alpha_words = 0;
  for (size_t i = 0; i < low.size();) {
    unsigned char c = static_cast<unsigned char>(low[i]);
    if (!IsWordChar(low[i])) {
      if (c == '.' || c == '!' || c == '?' || c == '\n' || c == ':' || c == ';') at_start = true;
      ++i;
      continue;
    }
    size_t b = i;
    while (i < low.size() && IsWordChar(low[i])) ++i;
    absl::string_view word = low.substr(b, i - b);
    toks.push_back({word, b, at_start});
    at_start = false;
    bool alpha = false, all_caps = true;
    for (size_t k = b; k < i; ++k) {
      char o = masked[k];
      if (o & 0x80) ++non_ascii;
      bool upper = o >= 'A' && o <= 'Z';
      if (upper || (o >= 'a' && o <= 'z')) {
        ++letters;
        alpha = true;
        if (!upper) all_caps = false;
      }
    }
    if (alpha) {
      ++alpha_words;
      if (all_caps && i - b >= 3) ++caps_words;
    }
  }

  // "not your fault", "it wasn't user error": a blame or dismissal phrase
  // denied by one of the two words before it reassures rather than blames.
  auto negated_before = [&](size_t t) {
    for (size_t k = t >= 2 ? t - 2 : 0; k < t; ++k) {
      absl::string_view w = toks[k].word;
      if (w == "not" || w == "no" || w == "never" || absl::EndsWith(w, "n't")) return true;
    }
    return false;
  };
  f->words.clear();
  f->word_weights.clear();
  int function_words = 0, lexicon_hits = 0;
  static const WordInfo kUnknown;
  for (size_t t = 0; t < toks.size(); ++t) {
    const Tok& tok = toks[t];
    absl::string_view w = tok.word;
    auto known = words_.find(w);
    const WordInfo& info = known == words_.end() ? kUnknown : known->second;
    f->words.push_back(w);
    f->word_weights.push_back(info.weight);
    size_t end = tok.begin + w.size();
    if (info.function_word) ++function_words;
    if (const double* v = vader.Lookup(w)) {
      ++lexicon_hits;
      if (*v >= 1.0) f->strategies[kPositiveWords] += 1;
      if (*v <= -1.0) f->strategies[kNegativeWords] += 1;
    }
    const uint32_t cls = info.classes;
    auto has = [cls](Strategy st) { return (cls >> st) & 1u; };
    if (has(kGratitude)) add_cue(kGratitude, tok.begin, end);
    if (has(kApology)) add_cue(kApology, tok.begin, end);
    if (has(kHedge)) add_cue(kHedge, tok.begin, end);
    if (w == "please") add_cue(t == 0 ? kPleaseStart : kPlease, tok.begin, end);
    if (has(kFirstPersonPlural)) f->strategies[kFirstPersonPlural] += 1;
    if (t == 0) {
      if (has(kDeference)) add_cue(kDeference, tok.begin, end);
      if (has(kGreeting)) add_cue(kGreeting, tok.begin, end);
      if (has(kDirectQuestion)) f->strategies[kDirectQuestion] += 1;
      if (has(kDirectStart)) f->strategies[kDirectStart] += 1;
      if (has(kFirstPersonStart)) f->strategies[kFirstPersonStart] += 1;
      if (has(kSecondPerson)) f->strategies[kSecondPersonStart] += 1;
    } else {
      if (has(kFirstPersonStart)) f->strategies[kFirstPerson] += 1;
      if (has(kSecondPerson)) f->strategies[kSecondPerson] += 1;
    }
    // A sentence that opens with a bare verb is a command.
    if (tok.sentence_start && has(kImperative)) add_cue(kImperative, tok.begin, end);
    if (info.rude) add_cue(kProfanity, tok.begin, end);
    // Multi-word cues starting at this word.
    auto phrases = info.starts_phrase ? PhrasesByFirstWord().find(w) : PhrasesByFirstWord().end();
    if (phrases != PhrasesByFirstWord().end()) {
      for (const Phrase* p : phrases->second) {
        size_t stop = tok.begin + p->text.size();
        if (low.substr(tok.begin, p->text.size()) == p->text && (stop >= low.size() || !IsWordChar(low[stop])) &&
            !((p->strategy == kBlame || p->strategy == kDismissal) && negated_before(t))) {
          add_cue(p->strategy, tok.begin, stop);
        }
      }
    }
  }
  for (const std::string& p : rude_phrases_) {
    for (size_t at = FindWord(low, p); at != absl::string_view::npos; at = FindWord(low, p, at + 1)) {
      add_cue(kProfanity, at, at + p.size());
    }
  }
  if (low.find('?') != absl::string_view::npos) f->strategies[kQuestion] = 1;
  if (low.find('!') != absl::string_view::npos) f->strategies[kExclamation] = 1;
  if (caps_words >= 2 && caps_words * 2 >= alpha_words) {
    f->strategies[kShouting] = 1;
    f->cues.push_back({kStrategyNames[kShouting], 0, text.size()});
  }
  // Counts saturate: the fifth "thanks" says little more than the first.
  for (double& v : f->strategies) v = std::min(v, 3.0);

  // What the engine cannot judge: no prose of the writer's own, or prose
  // that is mostly not English.
  const int n = static_cast<int>(toks.size());
  f->low_confidence = alpha_words == 0 || (letters > 0 && non_ascii * 10 > letters * 3) ||
                      (n >= 4 && function_words * 10 < n && lexicon_hits == 0);
}

PolitenessAnalysis PolitenessModel::Analyze(absl::string_view text, const Vader& vader, bool lines_masked) const {
  thread_local Features f;
  std::fill(std::begin(f.strategies), std::end(f.strategies), 0.0);
  f.cues.clear();
  Extract(text, vader, lines_masked, &f);
  PolitenessAnalysis result;
  result.low_confidence = f.low_confidence;
  if (f.low_confidence) return result;
  result.frustration_cues = static_cast<int>(f.strategies[kFrustration]);
  double z = bias_;
  for (int s = 0; s < kStrategyCount; ++s) z += strategy_weights_[s] * f.strategies[s];
  for (double w : f.word_weights) z += w;
  result.politeness = std::tanh(z / 2);  // = 2·sigmoid(z) − 1

  // Rudeness: the support-specific cues, bare commands and profanity, plus
  // impoliteness; courtesy (please, thanks, apology) softens commands.
  const double* s = f.strategies;
  bool courteous = s[kPlease] + s[kPleaseStart] + s[kGratitude] + s[kApology] > 0;
  double rudeness = 0.6 * std::min(1.0, s[kProfanity]) + 0.5 * std::min(1.0, s[kThreat]) +
                    0.4 * std::min(1.0, s[kBlame]) + 0.4 * std::min(1.0, s[kDismissal]) +
                    0.3 * std::min(1.0, s[kSarcasm]) + 0.3 * s[kShouting] +
                    (courteous ? 0.0 : 0.15 * std::min(1.0, s[kImperative])) +
                    0.3 * std::max(0.0, -result.politeness);
  if (courteous && s[kProfanity] == 0) rudeness *= 0.7;
  result.rudeness = std::min(1.0, rudeness);
  // Longest first at each start, so that a phrase inside a longer one of the
  // same kind ("already told you" in "I already told you") is shown once.
  std::sort(f.cues.begin(), f.cues.end(),
            [](const Cue& a, const Cue& b) { return a.begin != b.begin ? a.begin < b.begin : a.end > b.end; });
  for (const Cue& cue : f.cues) {
    bool inside = std::any_of(result.cues.begin(), result.cues.end(), [&](const Cue& kept) {
      return kept.kind == cue.kind && kept.begin <= cue.begin && cue.end <= kept.end;
    });
    if (!inside) result.cues.push_back(cue);
  }
  return result;
}

std::string PolitenessModel::FeatureLine(absl::string_view text, const Vader& vader) const {
  Features f;
  Extract(text, vader, /*lines_masked=*/false, &f);
  std::string line;
  for (int s = 0; s < kStrategyCount; ++s) {
    if (f.strategies[s] != 0) absl::StrAppend(&line, line.empty() ? "" : " ", "s:", kStrategyNames[s], "=", f.strategies[s]);
  }
  for (absl::string_view w : f.words) {
    std::string clean;
    for (char c : w) {
      if (c != '=' && c != ' ') clean.push_back(c);
    }
    if (!clean.empty()) absl::StrAppend(&line, line.empty() ? "" : " ", "w:", clean, "=1");
  }
  return line;
}

}  // namespace rapport::tone

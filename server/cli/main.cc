// rapport: the command-line client of rapportd.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "server/cli/commands.h"

namespace {

struct Command {
  const char* name;
  int (*run)(const std::vector<std::string>&);
  const char* usage;
};

const Command kCommands[] = {
    {"ingest", rapport::cli::RunIngest,
     "ingest [--tenant T] [--batch-size N] [--in-flight N] FILE.jsonl   replay canonical events\n"
     "  rapport ingest --adapter servicenow|jira|zendesk|freshservice|jsonl|csv --tenant T [--mapping NAME|FILE.json]\n"
     "         [--adapter-config FILE.json] [--plugin-dir DIR] FILE   replay a native export"},
    {"ticket", rapport::cli::RunTicket, "ticket --tenant T TICKET_ID                 one ticket's timeline and clocks"},
    {"tickets", rapport::cli::RunTickets,
     "tickets --tenant T [--order reopened|reassigned|requester-wait|agent-wait|recent] [--open] [--limit N]"},
    {"findings", rapport::cli::RunFindings,
     "findings --tenant T [--kind K[,K...]] [--agent A|--team T|--requester R|--ticket ID|--department D|--service S]\n"
     "         [--window 30d|12h|90m|A..B | --since A [--until B]] [--min-severity S] [--limit N] [--summary]\n"
     "         what the detectors found"},
    {"alerts", rapport::cli::RunAlerts,
     "alerts --tenant T [--state firing|resolved] [--kind K[,K...]] [--limit N]   the alert log, newest first"},
    {"watch", rapport::cli::RunWatch,
     "watch --tenant T [--kind K[,K...]] [--min-severity S] [--cursor-file F] [--no-follow]\n"
     "         follow the alerts live, resuming after the saved cursor"},
    {"score", rapport::cli::RunScore,
     "score --tenant T [--agent A|--team T|--requester R|--department D|--service S|--ticket ID]\n"
     "         [--window 30d|12h|90m|A..B | --since A [--until B]]   the support-experience score"},
    {"top", rapport::cli::RunTop,
     "top agents|teams|requesters|departments|services|tickets --tenant T [--window 30d|12h|90m|A..B |\n"
     "         --since A [--until B]]"
     " [--order worst|best|declined|improved] [--limit N]   rankings"},
    {"explain", rapport::cli::RunExplain,
     "explain --tenant T [--agent A|--team T|...] [--window 30d|12h|90m|A..B | --since A [--until B]]\n"
     "         what makes up a score"},
    {"plugins", rapport::cli::RunPlugins, "plugins                                      adapters offered, modules refused"},
    {"tone", rapport::cli::RunTone, "tone \"TEXT\"                                  sentiment, politeness, rudeness and cues"},
    {"stats", rapport::cli::RunStats, "stats [--tenant T]                           ingest counters, tenants, store size"},
    {"health", rapport::cli::RunHealth,
     "health [--wait SECONDS] [--http HOST:PORT]   is rapportd serving? (--http: its GET /readyz)"},
    {"backup", rapport::cli::RunBackup,
     "backup --out DIR                             a consistent copy of the live store, written by the server"},
};

constexpr char kCommonOptions[] =
    "common options: --server HOST:PORT (or $RAPPORT_SERVER; default 127.0.0.1:50051), --json, --help\n";

void Usage(std::ostream& out) {
  out << "usage: rapport COMMAND [options]\n\ncommands:\n";
  for (const Command& c : kCommands) out << "  rapport " << c.usage << "\n";
  out << "\n" << kCommonOptions;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "help") {
    Usage(argc < 2 ? std::cerr : std::cout);
    return argc < 2 ? 2 : 0;
  }
  std::string name = argv[1];
  std::vector<std::string> rest(argv + 2, argv + argc);
  const bool help = std::any_of(rest.begin(), rest.end(), [](const std::string& a) { return a == "--help" || a == "-h"; });
  for (const Command& c : kCommands) {
    if (name != c.name) continue;
    if (help) {
      std::cout << "usage: rapport " << c.usage << "\n\n" << kCommonOptions;
      return 0;
    }
    return c.run(rest);
  }
  std::cerr << "rapport: unknown command '" << name << "'\n";
  Usage(std::cerr);
  return 2;
}

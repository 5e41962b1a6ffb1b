// rapport: the command-line client of rapportd.
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
     "ingest [--tenant T] [--batch-size N] [--window N] FILE.jsonl   replay canonical events\n"
     "  rapport ingest --adapter NAME --tenant T [--mapping M] FILE   replay a native export (servicenow, jira, …)"},
    {"ticket", rapport::cli::RunTicket, "ticket --tenant T TICKET_ID                 one ticket's timeline and clocks"},
    {"tickets", rapport::cli::RunTickets,
     "tickets --tenant T [--order reopened|reassigned|requester-wait|agent-wait|recent] [--open] [--limit N]"},
    {"findings", rapport::cli::RunFindings,
     "findings --tenant T [--kind K] [--agent A|--team T|--ticket ID|...] [--since DATE] [--summary]"},
    {"score", rapport::cli::RunScore,
     "score --tenant T [--agent A|--team T|--ticket ID|...] [--window 30d]   the support-experience score"},
    {"top", rapport::cli::RunTop,
     "top agents|teams|... --tenant T [--window 30d] [--order worst|best|declined|improved]   rankings"},
    {"explain", rapport::cli::RunExplain,
     "explain --tenant T [--agent A|--team T|--ticket ID|...] [--window 30d]   what makes up a score"},
    {"plugins", rapport::cli::RunPlugins, "plugins                                      adapters offered, modules refused"},
    {"tone", rapport::cli::RunTone, "tone \"TEXT\"                                  sentiment, politeness, rudeness and cues"},
    {"stats", rapport::cli::RunStats, "stats [--tenant T]                           ingest counters, tenants, store size"},
    {"health", rapport::cli::RunHealth, "health [--wait SECONDS]                       is rapportd serving?"},
};

void Usage(std::ostream& out) {
  out << "usage: rapport COMMAND [options]\n\ncommands:\n";
  for (const Command& c : kCommands) out << "  rapport " << c.usage << "\n";
  out << "\ncommon options: --server HOST:PORT (or $RAPPORT_SERVER; default 127.0.0.1:50051), --json\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "help") {
    Usage(argc < 2 ? std::cerr : std::cout);
    return argc < 2 ? 2 : 0;
  }
  std::string name = argv[1];
  std::vector<std::string> rest(argv + 2, argv + argc);
  for (const Command& c : kCommands) {
    if (name == c.name) return c.run(rest);
  }
  std::cerr << "rapport: unknown command '" << name << "'\n";
  Usage(std::cerr);
  return 2;
}

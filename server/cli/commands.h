// The `rapport` subcommands. Each takes the arguments after its name and
// returns the process exit code: 0 success, 1 failure, 2 bad usage.
#ifndef RAPPORT_CLI_COMMANDS_H_
#define RAPPORT_CLI_COMMANDS_H_

#include <string>
#include <vector>

namespace rapport::cli {

int RunIngest(const std::vector<std::string>& argv);
int RunTicket(const std::vector<std::string>& argv);
int RunTickets(const std::vector<std::string>& argv);
int RunHealth(const std::vector<std::string>& argv);
int RunStats(const std::vector<std::string>& argv);
int RunTone(const std::vector<std::string>& argv);
int RunFindings(const std::vector<std::string>& argv);
int RunScore(const std::vector<std::string>& argv);
int RunTop(const std::vector<std::string>& argv);
int RunExplain(const std::vector<std::string>& argv);
int RunPlugins(const std::vector<std::string>& argv);
int RunBackup(const std::vector<std::string>& argv);
int RunAlerts(const std::vector<std::string>& argv);
int RunWatch(const std::vector<std::string>& argv);

}  // namespace rapport::cli

#endif  // RAPPORT_CLI_COMMANDS_H_

// Output helpers for `rapport`: aligned tables for people, proto-JSON for
// scripts, and gRPC errors turned into one readable line.
#ifndef RAPPORT_CLI_OUTPUT_H_
#define RAPPORT_CLI_OUTPUT_H_

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "google/protobuf/message.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/status.h"

namespace rapport::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  // Columns are left-aligned and two spaces apart; each line is indented.
  void Print(std::ostream& out, int indent = 2) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Pretty proto-JSON with proto field names.
std::string ToJson(const google::protobuf::Message& message);

// "rapport: NOT_FOUND: tenant 'x' has no ticket 'y'" on stderr; returns the
// exit code for the failure (2 for usage-like errors, 1 otherwise).
int ReportRpcError(const grpc::Status& status, const std::string& server);

std::shared_ptr<grpc::Channel> Connect(const std::string& server);

// Shortens text to `width` characters on one line, with an ellipsis.
std::string Abbreviate(const std::string& text, size_t width);

}  // namespace rapport::cli

#endif  // RAPPORT_CLI_OUTPUT_H_

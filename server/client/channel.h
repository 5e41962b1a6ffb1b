// The channel every Rapport client tool opens: plain text to `target`, and
// when the environment names an API key (RAPPORT_KEY), `authorization:
// Bearer <key>` on every call. A key is read from the environment, never
// from the command line, where `ps` and shell histories would show it.
#ifndef RAPPORT_SERVER_CLIENT_CHANNEL_H_
#define RAPPORT_SERVER_CLIENT_CHANNEL_H_

#include <memory>
#include <string>

#include "grpcpp/channel.h"
#include "grpcpp/support/channel_arguments.h"

namespace rapport::client {

inline constexpr char kKeyEnvironmentVariable[] = "RAPPORT_KEY";

std::shared_ptr<grpc::Channel> CreateRapportChannel(const std::string& target, const grpc::ChannelArguments& args);

}  // namespace rapport::client

#endif  // RAPPORT_SERVER_CLIENT_CHANNEL_H_

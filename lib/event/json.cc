#include "event/json.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace rapport {
namespace {

using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Struct;
using google::protobuf::Value;

// Rewrites "pending_requester" to "TICKET_STATUS_PENDING_REQUESTER" for every
// enum field of `descriptor` found in `fields`, recursing into messages.
void NormalizeEnums(const google::protobuf::Descriptor* descriptor, Struct* fields) {
  for (auto& [name, value] : *fields->mutable_fields()) {
    const FieldDescriptor* field = descriptor->FindFieldByName(name);
    if (field == nullptr) field = descriptor->FindFieldByCamelcaseName(name);
    if (field == nullptr) continue;
    if (field->type() == FieldDescriptor::TYPE_MESSAGE && value.has_struct_value() &&
        !field->is_map()) {
      NormalizeEnums(field->message_type(), value.mutable_struct_value());
      continue;
    }
    if (field->type() != FieldDescriptor::TYPE_ENUM || !value.has_string_value()) continue;
    const EnumDescriptor* type = field->enum_type();
    std::string upper = absl::AsciiStrToUpper(value.string_value());
    if (type->FindValueByName(upper) != nullptr) {
      value.set_string_value(upper);
      continue;
    }
    // The prefix is the common part of the names, e.g. "TICKET_STATUS_".
    std::string prefix = type->value(0)->name();
    prefix = prefix.substr(0, prefix.rfind("UNSPECIFIED"));
    std::string prefixed = absl::StrCat(prefix, upper);
    if (type->FindValueByName(prefixed) != nullptr) value.set_string_value(prefixed);
  }
}

}  // namespace

absl::StatusOr<v1::TicketEvent> ParseEventJson(absl::string_view line) {
  Struct generic;
  google::protobuf::util::JsonParseOptions lenient;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(line.data(), line.size()), &generic, lenient);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("not a JSON object: ", status.message().ToString()));
  }
  NormalizeEnums(v1::TicketEvent::descriptor(), &generic);
  std::string normalized;
  status = google::protobuf::util::MessageToJsonString(generic, &normalized);
  if (!status.ok()) return absl::InternalError(status.message().ToString());
  v1::TicketEvent event;
  google::protobuf::util::JsonParseOptions strict;
  status = google::protobuf::util::JsonStringToMessage(normalized, &event, strict);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a TicketEvent: ", status.message().ToString()));
  }
  return event;
}

std::string EventToJson(const v1::TicketEvent& event) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(event, &out, options);
  return out;
}

}  // namespace rapport

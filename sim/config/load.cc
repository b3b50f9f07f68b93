// LoadRunConfig, ApplyOverride, LoadAndValidate: reading config text into a RunConfig.
#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "sim/base/status.h"
#include "sim/config/config.h"

namespace distsim::config {
namespace {

namespace pb = ::google::protobuf;

// Collects the text parser's errors as "<origin>:<line>:<column>: <message>" (1-based).
class TextErrorCollector : public pb::io::ErrorCollector {
 public:
  explicit TextErrorCollector(std::string origin) : origin_(std::move(origin)) {}

  void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
    if (line < 0) {
      errors_.push_back(absl::StrCat(origin_, ": ", message));
    } else {
      errors_.push_back(absl::StrCat(origin_, ":", line + 1, ":", column + 1, ": ", message));
    }
  }

  // All errors joined by newlines; a generic line if the parser failed without reporting one.
  std::string Message() const {
    if (errors_.empty()) return absl::StrCat(origin_, ": cannot parse text-format config");
    return absl::StrJoin(errors_, "\n");
  }

 private:
  std::string origin_;
  std::vector<std::string> errors_;
};

// Parses (merge == false: clears `message` first and forbids setting a field twice) or merges
// text-format `text` into `message`. Errors are prefixed with `origin`.
absl::Status ParseText(std::string_view text, const std::string& origin, bool merge,
                       pb::Message* message) {
  TextErrorCollector errors(origin);
  pb::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  // Unknown fields and extensions stay refused (the parser's default).
  parser.AllowUnknownField(false);
  parser.AllowUnknownExtension(false);
  std::string input(text);
  bool ok = merge ? parser.MergeFromString(input, message) : parser.ParseFromString(input, message);
  if (!ok) return absl::InvalidArgumentError(errors.Message());
  return absl::OkStatus();
}

// Appends "<path>: <n> is not a value of <enum>" for every enum field of `message` (recursively)
// holding a number its enum does not define. Proto3 enums are open: both parsers accept numbers.
void FindUnknownEnumValues(const pb::Message& message, const std::string& prefix,
                           std::vector<std::string>* errors) {
  const pb::Reflection* reflection = message.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const pb::FieldDescriptor* field : fields) {
    std::string path = prefix.empty() ? field->name() : absl::StrCat(prefix, ".", field->name());
    if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_ENUM) {
      const pb::EnumDescriptor* type = field->enum_type();
      auto check = [&](int value, const std::string& where) {
        if (type->FindValueByNumber(value) != nullptr) return;
        std::vector<std::string> names;
        for (int i = 0; i < type->value_count(); ++i) {
          if (type->value(i)->number() != 0) names.push_back(type->value(i)->name());
        }
        errors->push_back(absl::StrCat(where, ": ", value, " is not a value of ", type->name(),
                                       "; must be one of ", absl::StrJoin(names, ", ")));
      };
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          check(reflection->GetRepeatedEnumValue(message, field, i),
                absl::StrCat(path, "[", i, "]"));
        }
      } else {
        check(reflection->GetEnumValue(message, field), path);
      }
    } else if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          FindUnknownEnumValues(reflection->GetRepeatedMessage(message, field, i),
                                absl::StrCat(path, "[", i, "]"), errors);
        }
      } else {
        FindUnknownEnumValues(reflection->GetMessage(message, field), path, errors);
      }
    }
  }
}

// InvalidArgument listing the unknown enum values of `message`, each line prefixed by `origin`.
absl::Status CheckEnumValues(const pb::Message& message, const std::string& origin) {
  std::vector<std::string> errors;
  FindUnknownEnumValues(message, "", &errors);
  if (errors.empty()) return absl::OkStatus();
  for (std::string& e : errors) e = absl::StrCat(origin, ": ", e);
  return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
}

// Clears, in `target`, every repeated field that is non-empty in `source` (recursing through
// singular submessages present in both), so that a following merge replaces those lists.
void ClearListsNamedIn(const pb::Message& source, pb::Message* target) {
  const pb::Reflection* source_reflection = source.GetReflection();
  const pb::Reflection* target_reflection = target->GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  source_reflection->ListFields(source, &fields);
  for (const pb::FieldDescriptor* field : fields) {
    if (field->is_repeated()) {
      target_reflection->ClearField(target, field);
    } else if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE &&
               target_reflection->HasField(*target, field)) {
      ClearListsNamedIn(source_reflection->GetMessage(source, field),
                        target_reflection->MutableMessage(target, field));
    }
  }
}

// Reads the whole file at `path`: NotFound if it does not exist, InvalidArgument if it is larger
// than kMaxConfigFileBytes, Unknown for other OS errors.
absl::StatusOr<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    if (error == ENOENT) return absl::NotFoundError(absl::StrCat("config file not found: ", path));
    return IoError("cannot open config file", path, error);
  }
  std::string content;
  char buffer[64 * 1024];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      int error = errno;
      ::close(fd);
      return IoError("cannot read config file", path, error);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
    if (content.size() > kMaxConfigFileBytes) {
      ::close(fd);
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": config file larger than ", kMaxConfigFileBytes, " bytes; is it a config?"));
    }
  }
  ::close(fd);
  return content;
}

absl::StatusOr<ConfigSyntax> SyntaxFor(const std::string& path) {
  std::string extension = std::filesystem::path(path).extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (extension == ".textproto" || extension == ".txtpb" || extension == ".pbtxt") {
    return ConfigSyntax::kText;
  }
  if (extension == ".json") return ConfigSyntax::kJson;
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": unsupported config file extension '", extension,
      "'; use .textproto, .txtpb or .pbtxt (protobuf text format) or .json (protobuf JSON)"));
}

}  // namespace

absl::Status LoadMessage(const std::string& path, pb::Message* message) {
  DS_ASSIGN_OR_RETURN(ConfigSyntax syntax, SyntaxFor(path));
  DS_ASSIGN_OR_RETURN(std::string content, ReadFile(path));
  return ParseMessage(content, syntax, path, message);
}

absl::Status ParseMessage(std::string_view content, ConfigSyntax syntax, const std::string& origin,
                          pb::Message* message) {
  if (syntax == ConfigSyntax::kText) {
    DS_RETURN_IF_ERROR(ParseText(content, origin, /*merge=*/false, message));
  } else {
    pb::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    options.case_insensitive_enum_parsing = false;
    pb::util::Status status = pb::util::JsonStringToMessage(std::string(content), message, options);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(origin, ": invalid JSON config: ",
                       std::string(status.message().data(), status.message().size())));
    }
  }
  return CheckEnumValues(*message, origin);
}

absl::StatusOr<RunConfig> LoadRunConfig(const std::string& path) {
  RunConfig config;
  DS_RETURN_IF_ERROR(LoadMessage(path, &config));
  return config;
}

void MergeOverrides(const RunConfig& overrides, RunConfig* config) {
  ClearListsNamedIn(overrides, config);
  config->MergeFrom(overrides);
}

absl::Status ApplyOverride(RunConfig* config, std::string_view text) {
  std::string origin = absl::StrCat("override \"", std::string(text), "\"");
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ": empty; expected text format such as 'train { steps: 50 }'"));
  }
  // Parse alone first: reports errors (including a field given twice) against the fragment, and
  // tells which lists the fragment names.
  RunConfig fragment;
  DS_RETURN_IF_ERROR(ParseText(text, origin, /*merge=*/false, &fragment));
  DS_RETURN_IF_ERROR(CheckEnumValues(fragment, origin));
  // Then merge the text itself (not `fragment`): Message::MergeFrom would skip proto3 scalars
  // set to zero, while the text parser sets every field it reads.
  RunConfig merged = *config;
  ClearListsNamedIn(fragment, &merged);
  DS_RETURN_IF_ERROR(ParseText(text, origin, /*merge=*/true, &merged));
  *config = std::move(merged);
  return absl::OkStatus();
}

absl::StatusOr<RunConfig> LoadAndValidate(const std::string& path,
                                          const std::vector<std::string>& overrides) {
  DS_ASSIGN_OR_RETURN(RunConfig config, LoadRunConfig(path));
  for (const std::string& text : overrides) DS_RETURN_IF_ERROR(ApplyOverride(&config, text));
  config = WithDefaults(std::move(config));
  absl::Status status = ValidateRunConfig(config);
  if (!status.ok()) {
    std::vector<std::string> lines = absl::StrSplit(status.message(), '\n');
    for (std::string& line : lines) line = absl::StrCat(path, ": ", line);
    return absl::Status(status.code(), absl::StrJoin(lines, "\n"));
  }
  return config;
}

}  // namespace distsim::config

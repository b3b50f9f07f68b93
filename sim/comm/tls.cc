#include "sim/comm/tls.h"

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace distsim::comm {
namespace {

constexpr absl::string_view kBegin = "-----BEGIN ";
constexpr absl::string_view kDashes = "-----";

struct PemBlock {
  std::string label;       // "CERTIFICATE", "PRIVATE KEY", ...
  bool encrypted = false;  // RFC 1421 headers (Proc-Type: 4,ENCRYPTED) in the body
};

// The body of one block with its whitespace removed: base64 that must decode to DER (an ASN.1
// SEQUENCE, first byte 0x30).
bool IsDer(absl::string_view body) {
  std::string compact;
  for (char c : body) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') compact.push_back(c);
  }
  std::string der;
  return absl::Base64Unescape(compact, &der) && !der.empty() && der[0] == 0x30;
}

// Every BEGIN ... END block of `pem`, in order. Text between blocks is ignored (openssl writes a
// human-readable dump there).
absl::StatusOr<std::vector<PemBlock>> ParseBlocks(absl::string_view pem, absl::string_view name) {
  std::vector<PemBlock> blocks;
  size_t at = 0;
  while ((at = pem.find(kBegin, at)) != absl::string_view::npos) {
    const size_t label_at = at + kBegin.size();
    const size_t label_end = pem.find(kDashes, label_at);
    const size_t line_end = pem.find('\n', label_at);
    if (label_end == absl::string_view::npos || label_end > line_end) {
      return absl::DataLossError(absl::StrCat(name, ": a malformed -----BEGIN line"));
    }
    PemBlock block;
    block.label = std::string(pem.substr(label_at, label_end - label_at));
    const std::string end_line = absl::StrCat("-----END ", block.label, kDashes);
    const size_t body_at = label_end + kDashes.size();
    const size_t end_at = pem.find(end_line, body_at);
    if (end_at == absl::string_view::npos) {
      return absl::DataLossError(
          absl::StrCat(name, ": its ", block.label, " block has no -----END line (truncated?)"));
    }
    const absl::string_view body = pem.substr(body_at, end_at - body_at);
    block.encrypted = absl::StrContains(body, ":");
    if (!block.encrypted && !IsDer(body)) {
      return absl::DataLossError(absl::StrCat(name, ": block ", blocks.size() + 1, " (",
                                              block.label, ") is not base64-encoded DER"));
    }
    blocks.push_back(std::move(block));
    at = end_at + end_line.size();
  }
  if (blocks.empty()) {
    return absl::DataLossError(absl::StrCat(
        name, ": no PEM block (-----BEGIN ...-----) in it; TLS files are PEM text, not DER"));
  }
  return blocks;
}

bool IsPrivateKeyLabel(absl::string_view label) { return absl::EndsWith(label, "PRIVATE KEY"); }

absl::Status CheckCertificates(const std::vector<PemBlock>& blocks, absl::string_view name) {
  for (const PemBlock& block : blocks) {
    if (IsPrivateKeyLabel(block.label)) {
      return absl::DataLossError(absl::StrCat(
          name,
          ": holds a private key; give the certificates alone (the key goes to --tls-key, "
          "in a file only its owner can read)"));
    }
    if (block.label != "CERTIFICATE") {
      return absl::DataLossError(absl::StrCat(name, ": holds a ", block.label,
                                              " block where only CERTIFICATE blocks belong"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckPrivateKey(const std::vector<PemBlock>& blocks, absl::string_view name) {
  int keys = 0;
  for (const PemBlock& block : blocks) {
    if (!IsPrivateKeyLabel(block.label)) continue;  // EC PARAMETERS, a certificate beside it
    if (block.encrypted || block.label == "ENCRYPTED PRIVATE KEY") {
      return absl::DataLossError(absl::StrCat(
          name,
          ": the private key is encrypted; gRPC needs it unencrypted (openssl pkey -in "
          "KEY -out PLAIN, kept mode 0600)"));
    }
    ++keys;
  }
  if (keys == 1) return absl::OkStatus();
  return absl::DataLossError(
      keys == 0 ? absl::StrCat(name, ": holds no private key (-----BEGIN PRIVATE KEY-----)")
                : absl::StrCat(name, ": holds ", keys, " private keys; give one"));
}

}  // namespace

absl::Status CheckPem(absl::string_view pem, PemKind kind, absl::string_view name) {
  absl::StatusOr<std::vector<PemBlock>> blocks = ParseBlocks(pem, name);
  if (!blocks.ok()) return blocks.status();
  return kind == PemKind::kCertificates ? CheckCertificates(*blocks, name)
                                        : CheckPrivateKey(*blocks, name);
}

}  // namespace distsim::comm

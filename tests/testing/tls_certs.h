// Throwaway TLS material for tests, made at test time with the `openssl` command (no key is ever
// committed): two self-signed EC certificates for IP:127.0.0.1 and DNS:localhost, each its own
// root. "ours" is the run's; "theirs" is a stranger's, which ours does not trust.
#ifndef DISTSIM_TESTS_TESTING_TLS_CERTS_H_
#define DISTSIM_TESTS_TESTING_TLS_CERTS_H_

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace distsim::testing {

struct TestCert {
  std::string cert;  // path of the certificate (also the root that trusts it)
  std::string key;   // path of its private key, mode 0600
  std::string cert_pem;
  std::string key_pem;
};

struct TestCerts {
  TestCert ours;
  TestCert theirs;
};

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Makes `name`.pem and `name`.key in `dir`; false if openssl failed.
inline bool MakeSelfSignedCert(const std::filesystem::path& dir, const std::string& name,
                               TestCert* out) {
  out->cert = (dir / (name + ".pem")).string();
  out->key = (dir / (name + ".key")).string();
  const std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
      "-subj /CN=distsim-test-" +
      name + " -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout '" + out->key +
      "' -out '" + out->cert + "' >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0) return false;
  std::filesystem::permissions(
      out->key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  out->cert_pem = ReadWholeFile(out->cert);
  out->key_pem = ReadWholeFile(out->key);
  return !out->cert_pem.empty() && !out->key_pem.empty();
}

// Both certificates in `dir`. Returns why not (openssl missing or failing), or "" on success.
inline std::string MakeTestCerts(const std::filesystem::path& dir, TestCerts* out) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
    return "openssl is not installed (scripts/bootstrap.sh installs it)";
  }
  std::filesystem::create_directories(dir);
  if (!MakeSelfSignedCert(dir, "ours", &out->ours) ||
      !MakeSelfSignedCert(dir, "theirs", &out->theirs)) {
    return "openssl could not make a self-signed certificate";
  }
  return "";
}

}  // namespace distsim::testing

#endif  // DISTSIM_TESTS_TESTING_TLS_CERTS_H_

// TLS between processes started by hand, through the distsim binary as a user would run it: a
// coordinator, a parameter server and two workers over TLS on loopback end as the same run does
// in plaintext; a worker without the run's TLS is refused in time with a clear error; and the
// --tls-* flags' mistakes get their exit codes. The certificates are made at test time by openssl
// (tests/testing/tls_certs.h); without it the tests are skipped.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/report/result_io.h"
#include "tests/node/process_util.h"
#include "tests/testing/synthetic_data_test.h"
#include "tests/testing/tls_certs.h"

namespace distsim {
namespace {

namespace fs = std::filesystem;

constexpr char kAnnounced[] = "coordinator listening on ";

class DistributedTlsTest : public testing::SyntheticDataTest {
 protected:
  void SetUp() override {
    SyntheticDataTest::SetUp();
    const std::string why = testing::MakeTestCerts(dir_ / "certs", &certs_);
    if (!why.empty()) GTEST_SKIP() << why;
  }

  // A small config: the PS run of the tests unless `strategy` says otherwise. A wrong client
  // gives up after rpc_deadline_s.
  std::string Config(const std::string& name,
                     const std::string& strategy = "parameter_server { mode: SYNC servers: 1 }") {
    const std::string path = (dir_ / (name + ".textproto")).string();
    std::ofstream(path) << "name: \"" << name << "\"\nseed: 3\nworkers: 2\n"
                        << "model { mlp { hidden: 8 } }\n"
                        << "data { dataset: IDX dir: \"data\" distribution: GLOBAL_BATCH_SLICE }\n"
                        << "optimizer { sgd { learning_rate: 0.1 } }\n"
                        << "train { batch_size: 16 steps: 20 eval_every_steps: 10 }\n"
                        << "supervision { rpc_deadline_s: 2 }\n"
                        << strategy << "\n";
    return path;
  }

  // --tls-cert, --tls-key and --tls-ca: `cert`'s certificate and key, trusting `ca`.
  static std::vector<std::string> TlsFlags(const testing::TestCert& cert,
                                           const testing::TestCert& ca) {
    return {"--tls-cert", cert.cert, "--tls-key", cert.key, "--tls-ca", ca.cert};
  }
  std::vector<std::string> Ours() const { return TlsFlags(certs_.ours, certs_.ours); }

  // Starts `distsim coordinator` on 127.0.0.1 (any port) with `extra` flags; returns it and, in
  // *address, the address it announced (empty if it announced none within 20 s).
  testing::Spawned StartCoordinator(const std::string& config,
                                    const std::vector<std::string>& extra, std::string* address) {
    std::vector<std::string> argv = {
        DISTSIM_BINARY, "coordinator",          config, "--listen", "127.0.0.1:0",
        "--out",        (dir_ / "out").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    testing::Spawned coordinator = testing::Spawn(argv);
    announcement_ = testing::ReadStderrUntil(coordinator, "--data-dir DIR", 20);
    address->clear();
    const size_t at = announcement_.find(kAnnounced);
    if (at != std::string::npos) {
      const size_t from = at + sizeof(kAnnounced) - 1;
      *address = announcement_.substr(from, announcement_.find_first_of(" ;", from) - from);
    }
    return coordinator;
  }

  // `distsim <role> --rank R` of the run named `name`, its token from the coordinator's file.
  std::vector<std::string> RoleArgv(const std::string& role, int rank, const std::string& config,
                                    const std::string& coordinator,
                                    const std::vector<std::string>& extra) const {
    const std::string token = (dir_ / "out" / fs::path(config).stem() / "token").string();
    std::vector<std::string> argv = {"/usr/bin/env",  "-u",
                                     "DISTSIM_TOKEN", "DISTSIM_TOKEN_FILE=" + token,
                                     DISTSIM_BINARY,  role,
                                     "--config",      config,
                                     "--rank",        std::to_string(rank),
                                     "--coordinator", coordinator,
                                     "--data-dir",    data_dir()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  // A run token in the file RoleArgv names, for roles that fail before any coordinator exists.
  void WriteToken(const std::string& config) const {
    const fs::path folder = dir_ / "out" / fs::path(config).stem();
    fs::create_directories(folder);
    std::ofstream(folder / "token") << "0123456789abcdef0123456789abcdef\n";
    fs::permissions(folder / "token", fs::perms::owner_read | fs::perms::owner_write);
  }

  // Stops a coordinator that is waiting for roles that will not come.
  static void Interrupt(testing::Spawned coordinator) {
    kill(coordinator.pid, SIGINT);
    testing::Finished done = testing::Wait(coordinator, 10);
    EXPECT_FALSE(done.timed_out) << "the coordinator did not stop on SIGINT";
  }

  // A worker started with `worker_tls` against a coordinator serving our TLS: how it ended.
  testing::Finished RunWorkerAgainstTlsCoordinator(const std::string& name,
                                                   const std::vector<std::string>& worker_tls,
                                                   std::string* address) {
    const std::string config = Config(name);
    testing::Spawned coordinator = StartCoordinator(config, Ours(), address);
    EXPECT_FALSE(address->empty()) << announcement_;
    testing::Finished worker =
        testing::Run(RoleArgv("worker", 0, config, *address, worker_tls), 30);
    Interrupt(coordinator);
    return worker;
  }

  RunResult ReadResult(const fs::path& out, const std::string& name) {
    auto r = report::ReadResultJson((out / name / "result.json").string());
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : RunResult();
  }

  // Runs config `name` (of `strategy`, with `servers` servers) twice: by `distsim run` in
  // plaintext, and by hand over TLS (a coordinator, the servers and two workers); both end the
  // same.
  void ExpectTheSameRunOverTls(const std::string& name, const std::string& strategy, int servers) {
    const std::string config = Config(name, strategy);
    testing::Finished plain =
        testing::Run({DISTSIM_BINARY, "run", config, "-q", "--out", (dir_ / "plain").string()}, 60);
    ASSERT_EQ(plain.exit_code, 0) << plain.err;

    std::string address;
    testing::Spawned coordinator = StartCoordinator(config, Ours(), &address);
    ASSERT_FALSE(address.empty()) << announcement_;
    const std::string& announced = announcement_;
    EXPECT_NE(announced.find("over TLS"), std::string::npos) << announced;
    // The printed command line carries the TLS flags a role needs (paths only, never content).
    EXPECT_NE(announced.find("--tls-ca " + certs_.ours.cert), std::string::npos) << announced;
    EXPECT_EQ(announced.find("BEGIN"), std::string::npos) << announced;
    std::vector<testing::Spawned> roles;
    for (int r = 0; r < servers; ++r) {
      roles.push_back(testing::Spawn(RoleArgv("server", r, config, address, Ours())));
    }
    for (int r = 0; r < 2; ++r) {
      roles.push_back(testing::Spawn(RoleArgv("worker", r, config, address, Ours())));
    }
    for (testing::Spawned role : roles) {
      testing::Finished done = testing::Wait(role, 60);
      EXPECT_EQ(done.exit_code, 0) << done.err;
    }
    testing::Finished done = testing::Wait(coordinator, 30);
    ASSERT_EQ(done.exit_code, 0) << announced << done.err;

    const RunResult over_tls = ReadResult(dir_ / "out", name);
    const RunResult in_plaintext = ReadResult(dir_ / "plain", name);
    ASSERT_EQ(over_tls.worker_stats_size(), 2);
    ASSERT_EQ(in_plaintext.worker_stats_size(), 2);
    for (int w = 0; w < 2; ++w) {
      EXPECT_EQ(over_tls.worker_stats(w).steps(), 20u);
      EXPECT_EQ(over_tls.worker_stats(w).parameter_hash(),
                in_plaintext.worker_stats(w).parameter_hash())
          << "worker " << w;
    }
    EXPECT_EQ(over_tls.final_test_accuracy(), in_plaintext.final_test_accuracy());
    EXPECT_EQ(over_tls.final_test_loss(), in_plaintext.final_test_loss());
  }

  testing::TestCerts certs_;
  std::string announcement_;  // what the last coordinator printed before its roles came
};

TEST_F(DistributedTlsTest, AParameterServerRunOverTlsEndsAsTheSameRunInPlaintext) {
  ExpectTheSameRunOverTls("tls_ps", "parameter_server { mode: SYNC servers: 1 }", 1);
}

TEST_F(DistributedTlsTest, AGrpcRingRunOverTlsEndsAsTheSameRunInPlaintext) {
  ExpectTheSameRunOverTls("tls_ring", "allreduce { transport: GRPC }", 0);
}

TEST_F(DistributedTlsTest, APlaintextWorkerOfATlsCoordinatorFailsInTimeNamingIt) {
  std::string address;
  testing::Finished worker = RunWorkerAgainstTlsCoordinator("tls_plain_worker", {}, &address);
  EXPECT_FALSE(worker.timed_out) << "the worker hung";
  EXPECT_LT(worker.seconds, 15);
  EXPECT_EQ(worker.exit_code, 69) << worker.err;
  EXPECT_NE(worker.err.find("the coordinator (" + address + ")"), std::string::npos) << worker.err;
  EXPECT_NE(worker.err.find("this process needs --tls-cert, --tls-key and --tls-ca"),
            std::string::npos)
      << worker.err;
}

TEST_F(DistributedTlsTest, AWorkerWhoseCaDoesNotMatchTheCoordinatorsCertificateIsRefused) {
  std::string address;
  testing::Finished worker = RunWorkerAgainstTlsCoordinator(
      "tls_wrong_ca", TlsFlags(certs_.ours, certs_.theirs), &address);
  EXPECT_FALSE(worker.timed_out) << "the worker hung";
  EXPECT_EQ(worker.exit_code, 69) << worker.err;
  EXPECT_NE(worker.err.find("the coordinator (" + address + ")"), std::string::npos) << worker.err;
  EXPECT_NE(worker.err.find("certificate verify failed"), std::string::npos) << worker.err;
  EXPECT_NE(worker.err.find(certs_.theirs.cert), std::string::npos) << worker.err;
}

// Each mistake with the --tls-* flags: its exit code and the thing it names.
TEST_F(DistributedTlsTest, TlsFlagMistakesHaveTheirExitCodes) {
  const std::string ps = Config("tls_flags");
  const std::string tcp_ring = Config("tls_tcp_ring", "allreduce { transport: TCP }");
  WriteToken(ps);
  WriteToken(tcp_ring);
  const std::string world_readable = (dir_ / "certs" / "open.key").string();
  fs::copy_file(certs_.ours.key, world_readable);
  fs::permissions(world_readable, fs::perms::owner_read | fs::perms::owner_write |
                                      fs::perms::group_read | fs::perms::others_read);
  const std::string missing = (dir_ / "certs" / "missing.pem").string();
  const std::string coordinator = "127.0.0.1:1";  // nobody: every mistake shows first
  const struct {
    std::vector<std::string> tls;
    std::string config;
    int code;
    std::string says;
  } cases[] = {
      // Both others are missing; which CLI11 names first follows its options' addresses.
      {{"--tls-cert", certs_.ours.cert}, ps, 64, "--tls-cert requires --tls-"},
      {{"--tls-cert", certs_.ours.cert, "--tls-key", certs_.ours.key}, ps, 64, "requires --tls-ca"},
      {{"--tls-cert", missing, "--tls-key", certs_.ours.key, "--tls-ca", certs_.ours.cert},
       ps,
       66,
       missing},
      {{"--tls-cert", certs_.ours.cert, "--tls-key", world_readable, "--tls-ca", certs_.ours.cert},
       ps,
       77,
       world_readable + ": must be a regular file readable by its owner alone"},
      {{"--tls-cert", certs_.ours.key, "--tls-key", certs_.ours.key, "--tls-ca", certs_.ours.cert},
       ps,
       65,
       "holds a private key"},
      {Ours(), tcp_ring, 78, "allreduce.transport"},
  };
  for (const auto& c : cases) {
    for (const std::string role : {"worker", "coordinator"}) {
      std::vector<std::string> argv =
          role == "worker" ? RoleArgv("worker", 0, c.config, coordinator, c.tls)
                           : std::vector<std::string>{DISTSIM_BINARY, "coordinator", c.config,
                                                      "--out", (dir_ / "out").string()};
      if (role == "coordinator") argv.insert(argv.end(), c.tls.begin(), c.tls.end());
      testing::Finished done = testing::Run(argv, 30);
      EXPECT_EQ(done.exit_code, c.code) << role << " " << c.says << "\n" << done.err;
      EXPECT_NE(done.err.find(c.says), std::string::npos) << role << "\n" << done.err;
    }
  }
  // The world-readable key is named with its mode; the TCP ring refusal says what to use.
  testing::Finished open = testing::Run(RoleArgv("worker", 0, ps, coordinator,
                                                 {"--tls-cert", certs_.ours.cert, "--tls-key",
                                                  world_readable, "--tls-ca", certs_.ours.cert}),
                                        30);
  EXPECT_NE(open.err.find("mode 0644"), std::string::npos) << open.err;
  testing::Finished ring = testing::Run(RoleArgv("worker", 0, tcp_ring, coordinator, Ours()), 30);
  EXPECT_NE(ring.err.find("transport: GRPC"), std::string::npos) << ring.err;
}

// --allow-remote without TLS says, on stderr, that the traffic is unencrypted; with TLS it
// does not.
TEST_F(DistributedTlsTest, AllowRemoteWithoutTlsWarnsThatTrafficIsUnencrypted) {
  const std::string missing = (dir_ / "missing.textproto").string();
  testing::Finished plain = testing::Run(
      {DISTSIM_BINARY, "coordinator", missing, "--listen", "127.0.0.1:0", "--allow-remote"}, 30);
  EXPECT_EQ(plain.exit_code, 66) << plain.err;
  EXPECT_NE(plain.err.find("warning: the run's traffic is unencrypted"), std::string::npos)
      << plain.err;
  std::vector<std::string> argv = {DISTSIM_BINARY, "coordinator", missing,
                                   "--listen",     "127.0.0.1:0", "--allow-remote"};
  for (const std::string& flag : Ours()) argv.push_back(flag);
  testing::Finished tls = testing::Run(argv, 30);
  EXPECT_EQ(tls.exit_code, 66) << tls.err;
  EXPECT_EQ(tls.err.find("unencrypted"), std::string::npos) << tls.err;
}

}  // namespace
}  // namespace distsim

// TLS on every kind of gRPC connection distsim makes (coordinator, parameter server, ring
// streams), servers and clients as threads of this process on loopback: the PEM checks, calls
// that work when both ends share the roots, and clear refusals when they do not. The
// certificates are made at test time by openssl (tests/testing/tls_certs.h); without openssl the
// tests that need them are skipped.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernels/optimizer.h"
#include "sim/comm/coordinator_rpc.h"
#include "sim/comm/grpc_peer_link.h"
#include "sim/comm/grpc_ps.h"
#include "sim/comm/grpc_util.h"
#include "sim/comm/rpc_server.h"
#include "sim/comm/tls.h"
#include "sim/strategy/ps_shard.h"
#include "tests/testing/tls_certs.h"

namespace distsim::comm {
namespace {

namespace fs = std::filesystem;

constexpr char kToken[] = "run-7c1e";
// "MAA=" is the DER of an empty SEQUENCE: structurally a certificate or key block.
constexpr char kCertBlock[] = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
constexpr char kKeyBlock[] = "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n";

bool Mentions(const absl::Status& status, const std::string& text) {
  return status.message().find(text) != absl::string_view::npos;
}

TEST(CheckPemTest, AcceptsCertificatesAndOneKey) {
  EXPECT_TRUE(CheckPem(kCertBlock, PemKind::kCertificates, "c").ok());
  EXPECT_TRUE(CheckPem(std::string("subject: x\n") + kCertBlock + kCertBlock,
                       PemKind::kCertificates, "chain")
                  .ok());
  EXPECT_TRUE(CheckPem(kKeyBlock, PemKind::kPrivateKey, "k").ok());
}

TEST(CheckPemTest, RefusesWhatIsNotThePemAsked) {
  const struct {
    std::string pem;
    PemKind kind;
    std::string says;
  } cases[] = {
      {"not pem at all", PemKind::kCertificates, "no PEM block"},
      {"-----BEGIN CERTIFICATE-----\nMAA=\n", PemKind::kCertificates, "no -----END line"},
      {"-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n", PemKind::kCertificates,
       "not base64-encoded DER"},
      {std::string(kCertBlock) + kKeyBlock, PemKind::kCertificates, "holds a private key"},
      {"-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n", PemKind::kCertificates,
       "where only CERTIFICATE blocks belong"},
      {kCertBlock, PemKind::kPrivateKey, "holds no private key"},
      {std::string(kKeyBlock) + kKeyBlock, PemKind::kPrivateKey, "2 private keys"},
      {"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nMAA="
       "\n-----END RSA PRIVATE KEY-----\n",
       PemKind::kPrivateKey, "encrypted"},
  };
  for (const auto& c : cases) {
    absl::Status status = CheckPem(c.pem, c.kind, "--tls-x f.pem");
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << c.says;
    EXPECT_TRUE(Mentions(status, "--tls-x f.pem: ")) << status;
    EXPECT_TRUE(Mentions(status, c.says)) << status;
    EXPECT_FALSE(Mentions(status, "MAA=")) << "a message quotes the file: " << status;
  }
}

// A coordinator that takes every registration and never completes the peer table.
class AcceptingHandler : public CoordinatorHandler {
 public:
  absl::Status Register(const ProcessInfo&) override { return absl::OkStatus(); }
  std::optional<PeerTable> WaitForPeers(absl::Duration) override { return std::nullopt; }
  HeartbeatAnswer Heartbeat(HeartbeatData) override { return {}; }
  absl::Status Finish(const ProcessSummary&) override { return absl::OkStatus(); }
};

class GrpcTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("distsim_grpc_tls_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    const std::string why = testing::MakeTestCerts(dir_, &certs_);
    if (!why.empty()) GTEST_SKIP() << why;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // TLS material: this certificate and key, trusting the roots of `ca`.
  static TlsFiles Tls(const testing::TestCert& cert, const testing::TestCert& ca) {
    TlsFiles tls;
    tls.cert_path = cert.cert;
    tls.key_path = cert.key;
    tls.ca_path = ca.cert;
    tls.cert_chain_pem = cert.cert_pem;
    tls.private_key_pem = cert.key_pem;
    tls.root_certs_pem = ca.cert_pem;
    return tls;
  }
  TlsFiles Ours() const { return Tls(certs_.ours, certs_.ours); }

  // A coordinator service on 127.0.0.1:0 serving `tls`; returns its address.
  std::string ServeCoordinator(const TlsFiles& tls) {
    service_ = std::make_unique<CoordinatorService>(&handler_, kToken);
    ServerOptions options;
    options.tls = tls;
    absl::StatusOr<std::unique_ptr<ProcessServer>> server =
        ProcessServer::Start(options, {service_->service()});
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return "";
    server_ = std::move(*server);
    return server_->address();
  }

  // What a client with `tls` gets from the coordinator at `address`: reachability, then a call.
  static absl::Status Reach(const std::string& address, const TlsFiles& tls) {
    CoordinatorClient client(address, kToken, 2.0, tls);
    absl::Status reachable = client.WaitUntilReachable(absl::Seconds(2));
    if (!reachable.ok()) return reachable;
    return client.Register(ProcessInfo());
  }

  fs::path dir_;
  testing::TestCerts certs_;
  AcceptingHandler handler_;
  std::unique_ptr<CoordinatorService> service_;
  std::unique_ptr<ProcessServer> server_;
};

TEST_F(GrpcTlsTest, CoordinatorCallsWorkWhenBothEndsShareTheRoots) {
  const std::string address = ServeCoordinator(Ours());
  EXPECT_TRUE(Reach(address, Ours()).ok());
  // The certificate names localhost too.
  const std::string port = address.substr(address.rfind(':') + 1);
  EXPECT_TRUE(Reach("localhost:" + port, Ours()).ok());
}

TEST_F(GrpcTlsTest, APlaintextClientOfATlsCoordinatorFailsInTimeNamingIt) {
  const std::string address = ServeCoordinator(Ours());
  const absl::Time start = absl::Now();
  absl::Status status = Reach(address, TlsFiles());
  EXPECT_LT(absl::Now() - start, absl::Seconds(6));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_TRUE(Mentions(status, "the coordinator (" + address + ")")) << status;
  EXPECT_TRUE(Mentions(status, "--tls-cert, --tls-key and --tls-ca")) << status;
}

TEST_F(GrpcTlsTest, AServerCertificateOutsideTheClientsRootsIsRefused) {
  const std::string address = ServeCoordinator(Tls(certs_.theirs, certs_.ours));
  absl::Status status = Reach(address, Ours());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_TRUE(Mentions(status, "certificate verify failed")) << status;
  EXPECT_TRUE(Mentions(status, certs_.ours.cert)) << "names the roots it checked: " << status;
}

TEST_F(GrpcTlsTest, AClientCertificateOutsideTheServersRootsIsRefused) {
  const std::string address = ServeCoordinator(Ours());
  absl::Status status = Reach(address, Tls(certs_.theirs, certs_.ours));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_TRUE(Mentions(status, "the coordinator (" + address + ")")) << status;
}

TEST_F(GrpcTlsTest, AKeyOfAnotherCertificateIsRefusedAtStartNamingTheFiles) {
  TlsFiles mixed = Ours();
  mixed.key_path = certs_.theirs.key;
  mixed.private_key_pem = certs_.theirs.key_pem;
  ServerOptions options;
  options.tls = mixed;
  absl::StatusOr<std::unique_ptr<ProcessServer>> server = ProcessServer::Start(options, {});
  ASSERT_FALSE(server.ok());
  EXPECT_TRUE(Mentions(server.status(), "cannot serve TLS")) << server.status();
  EXPECT_TRUE(Mentions(server.status(), certs_.theirs.key)) << server.status();
}

TEST_F(GrpcTlsTest, AParameterServerShardServesPullsOverTls) {
  strategy::PsShardOptions shard_options;
  shard_options.num_workers = 1;
  const std::vector<float> init = {1, 2, 3, 4};
  const ShardRanges ranges = {Range{0, 4}};
  strategy::PsShard shard(shard_options, ranges, init,
                          [](int64_t n) { return kernels::MakeSgd<float>(n, 0.1f); });
  PsService service(&shard, kToken);
  ServerOptions server_options;
  server_options.tls = Ours();
  auto server = ProcessServer::Start(server_options, {service.service()});
  ASSERT_TRUE(server.ok()) << server.status();
  PsClientOptions options;
  options.total_elems = 4;
  options.shards = {ranges};
  GrpcPsClientOptions grpc_options;
  grpc_options.addresses = {(*server)->address()};
  grpc_options.run_token = kToken;
  grpc_options.tls = Ours();
  auto client = MakeGrpcPsClient(options, grpc_options);
  ASSERT_TRUE(client.ok()) << client.status();
  std::vector<float> params(4);
  PullResult pulled;
  ASSERT_TRUE((*client)->Pull(0, params, &pulled).ok());
  EXPECT_EQ(params, init);
  grpc_options.tls = TlsFiles();
  grpc_options.connect_timeout = absl::Seconds(1);
  auto plain = MakeGrpcPsClient(options, grpc_options);
  ASSERT_FALSE(plain.ok()) << "a plaintext client got through";
  EXPECT_EQ(plain.status().code(), absl::StatusCode::kUnavailable) << plain.status();
  EXPECT_TRUE(Mentions(plain.status(), "parameter server shard 0")) << plain.status();
  (*server)->Shutdown();
}

TEST_F(GrpcTlsTest, RingStreamsCarryFramesOverTls) {
  std::vector<std::unique_ptr<GrpcPeerLink>> links;
  std::vector<std::unique_ptr<ProcessServer>> servers;
  std::vector<std::string> addresses;
  for (int r = 0; r < 2; ++r) {
    links.push_back(std::make_unique<GrpcPeerLink>(GrpcPeerLinkOptions{
        .rank = r, .size = 2, .run_token = kToken, .max_frame_bytes = 1024, .tls = Ours()}));
    ServerOptions options;
    options.max_message_bytes = RingMaxMessageBytes(1024);
    options.tls = Ours();
    auto server = ProcessServer::Start(options, {links[r]->service()});
    ASSERT_TRUE(server.ok()) << server.status();
    addresses.push_back((*server)->address());
    servers.push_back(std::move(*server));
  }
  for (auto& link : links) {
    ASSERT_TRUE(link->Connect(addresses, absl::Now() + absl::Seconds(5)).ok());
  }
  const std::vector<float> sent = {1.5f, -2.0f, 3.25f};
  std::vector<float> got(3);
  ASSERT_TRUE(links[0]->Send(1, {.op = 1}, sent, absl::Now() + absl::Seconds(5)).ok());
  ASSERT_TRUE(
      links[1]->Recv(0, {.op = 1}, got, absl::Now() + absl::Seconds(5), RecvMode::kCopy).ok());
  EXPECT_EQ(got, sent);
  for (auto& link : links) link->Close(absl::Now() + absl::Seconds(2));
  for (auto& server : servers) server->Shutdown();
}

}  // namespace
}  // namespace distsim::comm

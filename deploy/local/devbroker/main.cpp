// Development Kafka broker: librdkafka's mock cluster behind a small program.
// It speaks the real Kafka protocol, keeps data in memory, creates the saga topics, writes its
// bootstrap address to a file and takes its brokers down (SIGUSR1) and up (SIGUSR2) on command
// for fault tests. With --listen it is reachable from other hosts or containers too
// (address_proxy.hpp). `devbroker check-topics` is a client that waits until a broker has the
// topics: the compose stand-in for kafka-init (deploy/docker/compose.local-images.yml).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "address_proxy.hpp"
#include "saga/config/program.hpp"
#include "saga/contracts/saga.hpp"

namespace {

std::atomic<int> g_pending_signal{0};

void OnSignal(int sig) { g_pending_signal.store(sig); }

std::vector<std::string> SplitCsv(const std::string& csv) {
  std::vector<std::string> out;
  std::stringstream ss(csv);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

void WriteAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << content << '\n';
  }
  std::rename(tmp.c_str(), path.c_str());
}

struct ServeOptions {
  int brokers = 1;
  int partitions = 12;
  std::string topics;
  std::string bootstrap_file;
  std::vector<std::string> listen;
};

// The mock cluster with the topics (each also gets <topic>.dlq), or nullptr after saying why.
rd_kafka_mock_cluster_t* CreateCluster(rd_kafka_t* rk, const ServeOptions& o) {
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, o.brokers);
  if (cluster == nullptr) {
    std::cerr << "devbroker: cannot create mock cluster\n";
    return nullptr;
  }
  for (const auto& topic : SplitCsv(o.topics)) {
    for (const auto& name : {topic, topic + ".dlq"}) {
      const auto rc = rd_kafka_mock_topic_create(cluster, name.c_str(), o.partitions, 1);
      if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::cerr << "devbroker: cannot create topic " << name << ": " << rd_kafka_err2str(rc) << '\n';
        rd_kafka_mock_cluster_destroy(cluster);
        return nullptr;
      }
    }
  }
  return cluster;
}

// One address proxy per --listen, in front of the mock broker at `bootstrap`.
std::vector<std::unique_ptr<saga::devbroker::AddressProxy>> StartProxies(
    rd_kafka_mock_cluster_t* cluster, const std::string& bootstrap,
    const std::vector<saga::devbroker::ListenSpec>& listen) {
  std::vector<std::unique_ptr<saga::devbroker::AddressProxy>> proxies;
  if (listen.empty()) return proxies;
  // Clients get only the versions of the responses that name brokers that the proxy can
  // rewrite (librdkafka 2.0 asks for no newer ones anyway).
  rd_kafka_mock_set_apiversion(cluster, saga::devbroker::kMetadata, 0, saga::devbroker::kMetadataMaxVersion);
  rd_kafka_mock_set_apiversion(cluster, saga::devbroker::kFindCoordinator, 0,
                               saga::devbroker::kFindCoordinatorMaxVersion);
  const auto port = static_cast<std::uint16_t>(std::stoi(bootstrap.substr(bootstrap.rfind(':') + 1)));
  for (const auto& spec : listen) proxies.push_back(std::make_unique<saga::devbroker::AddressProxy>(spec, port));
  return proxies;
}

// Until SIGINT or SIGTERM: SIGUSR1 takes the brokers down, SIGUSR2 up.
void RunUntilStopped(rd_kafka_mock_cluster_t* cluster, int brokers) {
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGUSR1, OnSignal);
  std::signal(SIGUSR2, OnSignal);
  for (;;) {
    const int sig = g_pending_signal.exchange(0);
    if (sig == SIGINT || sig == SIGTERM) return;
    if (sig == SIGUSR1 || sig == SIGUSR2) {
      const bool down = sig == SIGUSR1;
      for (int id = 1; id <= brokers; ++id) {
        if (down) {
          rd_kafka_mock_broker_set_down(cluster, id);
        } else {
          rd_kafka_mock_broker_set_up(cluster, id);
        }
      }
      std::cout << "{\"msg\":\"brokers " << (down ? "down" : "up") << "\"}" << std::endl;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int Serve(const ServeOptions& o) {
  std::vector<saga::devbroker::ListenSpec> listen;
  for (const auto& text : o.listen) listen.push_back(saga::devbroker::ListenSpec::Parse(text));
  if (!listen.empty() && o.brokers != 1) {
    std::cerr << "devbroker: --listen needs --brokers 1\n";
    return 2;
  }
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  // The mock brokers' sockets take this handle's settings. With Nagle's algorithm on, a response
  // sent in pieces waited for the client's delayed ACK: about 40 ms per produce acknowledgement
  // and per offset commit.
  rd_kafka_conf_set(conf, "socket.nagle.disable", "true", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) {
    std::cerr << "devbroker: cannot create handle: " << err << '\n';
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = CreateCluster(rk, o);
  if (cluster == nullptr) {
    rd_kafka_destroy(rk);
    return 1;
  }
  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
  std::vector<std::unique_ptr<saga::devbroker::AddressProxy>> proxies;
  try {
    proxies = StartProxies(cluster, bootstrap, listen);
  } catch (const std::exception& e) {
    std::cerr << "devbroker: " << e.what() << '\n';
    return 1;
  }
  if (!o.bootstrap_file.empty()) WriteAtomically(o.bootstrap_file, bootstrap);
  std::string listening;
  for (const auto& text : o.listen) listening += (listening.empty() ? "" : ",") + text;
  std::cout << "{\"msg\":\"devbroker ready\",\"bootstrap\":\"" << bootstrap << "\",\"listen\":\""
            << listening << "\",\"partitions\":" << o.partitions << "}" << std::endl;
  RunUntilStopped(cluster, o.brokers);
  for (auto& p : proxies) p->Stop();
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}

struct CheckOptions {
  std::string bootstrap = "127.0.0.1:9092";
  std::string topics;
  int partitions = 12;
  int timeout_s = 60;
};

// Waits until the broker has every topic and its .dlq with the partition count asked for.
int CheckTopics(const CheckOptions& o) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", o.bootstrap.c_str(), err, sizeof err) !=
      RD_KAFKA_CONF_OK) {
    std::cerr << "devbroker check-topics: " << err << '\n';
    rd_kafka_conf_destroy(conf);
    return 2;
  }
  rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) {
    std::cerr << "devbroker check-topics: cannot create client: " << err << '\n';
    return 1;
  }
  std::vector<std::string> wanted;
  for (const auto& t : SplitCsv(o.topics)) {
    wanted.push_back(t);
    wanted.push_back(t + ".dlq");
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_s);
  std::string problem = "no answer from " + o.bootstrap;
  for (;;) {
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk, 1, nullptr, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::map<std::string, int> found;
      for (int i = 0; i < md->topic_cnt; ++i) {
        if (md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
          found[md->topics[i].topic] = md->topics[i].partition_cnt;
        }
      }
      rd_kafka_metadata_destroy(md);
      problem.clear();
      for (const auto& t : wanted) {
        const auto it = found.find(t);
        if (it == found.end()) {
          problem += " " + t + " (missing)";
        } else if (it->second != o.partitions) {
          problem += " " + t + " (" + std::to_string(it->second) + " partitions, not " +
                     std::to_string(o.partitions) + ")";
        }
      }
      if (problem.empty()) {
        std::cout << "devbroker check-topics: " << o.bootstrap << " has all " << wanted.size()
                  << " topics with " << o.partitions << " partitions each" << std::endl;
        rd_kafka_destroy(rk);
        return 0;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  std::cerr << "devbroker check-topics: after " << o.timeout_s << " s:" << problem << '\n';
  rd_kafka_destroy(rk);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Development Kafka broker: librdkafka's mock cluster, speaking the Kafka protocol "
               "and keeping its data in memory. SIGUSR1 takes its brokers down, SIGUSR2 up."};
  app.option_defaults()->always_capture_default();
  app.set_version_flag("--version", saga::config::VersionLine("devbroker"));
  // The saga's topics, from its declaration; each also gets <topic>.dlq.
  std::string saga_topics;
  for (const auto& t : saga::contracts::Saga().Topics()) saga_topics += (saga_topics.empty() ? "" : ",") + t;

  ServeOptions serve;
  serve.topics = saga_topics;
  app.add_option("--brokers", serve.brokers, "number of mock brokers")->check(CLI::Range(1, 9));
  app.add_option("--partitions", serve.partitions, "partitions per topic")
      ->envname("KAFKA_PARTITIONS")
      ->check(CLI::Range(1, 1024));
  app.add_option("--topics", serve.topics, "comma-separated topics to create (each also gets <topic>.dlq)");
  app.add_option("--bootstrap-file", serve.bootstrap_file, "write the bootstrap address here once ready");
  app.add_option("--listen", serve.listen,
                 "HOST:PORT[=ADVERTISED_HOST:PORT], repeatable: also accept clients there and "
                 "tell them the broker is at the advertised address (for other hosts and "
                 "containers; needs --brokers 1)");

  CheckOptions check;
  check.topics = saga_topics;
  auto* check_cmd = app.add_subcommand(
      "check-topics",
      "Instead of serving: wait until the broker at --bootstrap has every topic and its .dlq "
      "with --partitions partitions; exit 0 then, 1 after --timeout-s");
  check_cmd->add_option("--bootstrap", check.bootstrap, "broker address")->envname("KAFKA_BOOTSTRAP");
  check_cmd->add_option("--topics", check.topics, "comma-separated topics")->envname("SAGA_TOPICS");
  check_cmd->add_option("--partitions", check.partitions, "partitions each topic must have")
      ->envname("KAFKA_PARTITIONS")
      ->check(CLI::Range(1, 1024));
  check_cmd->add_option("--timeout-s", check.timeout_s, "seconds to wait")->check(CLI::Range(0, 3600));
  CLI11_PARSE(app, argc, argv);

  if (check_cmd->parsed()) return CheckTopics(check);
  try {
    return Serve(serve);
  } catch (const std::invalid_argument& e) {
    std::cerr << "devbroker: --listen " << e.what() << '\n';
    return 2;
  }
}

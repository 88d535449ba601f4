// Development Kafka broker: librdkafka's mock cluster behind a small program.
// It speaks the real Kafka protocol on loopback, keeps data in memory, creates
// the saga topics, writes its bootstrap address to a file and takes its brokers
// down (SIGUSR1) and up (SIGUSR2) on command for fault tests.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Development Kafka broker (librdkafka mock cluster)"};
  int brokers = 1;
  int partitions = 12;
  std::string topics =
      "order.created,stock.reserved,stock.rejected,payment.completed,payment.failed,"
      "stock.released,order.completed,order.cancelled";
  std::string bootstrap_file;
  app.add_option("--brokers", brokers, "number of mock brokers")->check(CLI::Range(1, 9));
  app.add_option("--partitions", partitions, "partitions per topic")
      ->envname("KAFKA_PARTITIONS")
      ->check(CLI::Range(1, 1024));
  app.add_option("--topics", topics, "comma-separated topics to create (each also gets <topic>.dlq)");
  app.add_option("--bootstrap-file", bootstrap_file, "write the bootstrap address here once ready");
  CLI11_PARSE(app, argc, argv);

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
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (cluster == nullptr) {
    std::cerr << "devbroker: cannot create mock cluster\n";
    rd_kafka_destroy(rk);
    return 1;
  }
  for (const auto& topic : SplitCsv(topics)) {
    for (const auto& name : {topic, topic + ".dlq"}) {
      const auto rc = rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, 1);
      if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::cerr << "devbroker: cannot create topic " << name << ": " << rd_kafka_err2str(rc) << '\n';
        return 1;
      }
    }
  }
  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
  if (!bootstrap_file.empty()) WriteAtomically(bootstrap_file, bootstrap);
  std::cout << "{\"msg\":\"devbroker ready\",\"bootstrap\":\"" << bootstrap << "\",\"partitions\":"
            << partitions << "}" << std::endl;

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGUSR1, OnSignal);
  std::signal(SIGUSR2, OnSignal);
  for (;;) {
    const int sig = g_pending_signal.exchange(0);
    if (sig == SIGINT || sig == SIGTERM) break;
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
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}

#include "saga/completion/watchers.hpp"

#include <catch2/catch.hpp>

using namespace saga::completion;

namespace {

/// Records what a watcher writes, like the server's stream would send it.
class RecordingStream : public saga::http::EventStream {
 public:
  bool Write(std::string chunk) override {
    if (closed_) return false;
    chunks.push_back(std::move(chunk));
    return true;
  }
  void Close() override { closed_ = true; }
  bool Closed() const override { return closed_; }

  /// "step:<event>" or "final:<status>" per chunk, in order.
  std::vector<std::string> Sent() const {
    std::vector<std::string> out;
    for (const auto& c : chunks) {
      const auto data = nlohmann::json::parse(c.substr(c.find("data: ") + 6));
      out.push_back(c.find("event: final") != std::string::npos
                        ? "final:" + data.value("status", "")
                        : "step:" + data.value("event", ""));
    }
    return out;
  }
  std::vector<std::string> chunks;

 private:
  bool closed_ = false;
};

nlohmann::json StepJson(const std::string& id, const std::string& event) {
  return {{"eventId", id}, {"event", event}, {"at", "2026-01-01T00:00:00.000Z"}};
}

const nlohmann::json kCompleted{{"orderId", "o-1"}, {"status", "COMPLETED"}, {"reason", nullptr}};

}  // namespace

TEST_CASE("A live final status during the replay waits for the replayed history", "[completion]") {
  auto stream = std::make_shared<RecordingStream>();
  Watcher w(stream);
  // The consumer commits the last batch while the replay is still reading.
  w.Step(StepJson("e3", "payment.completed"));
  w.Step(StepJson("e4", "order.completed"));
  w.Finish(kCompleted);
  CHECK(stream->chunks.empty());
  w.ReplayStep(StepJson("e1", "order.created"));
  w.ReplayStep(StepJson("e2", "stock.reserved"));
  w.ReplayStep(StepJson("e3", "payment.completed"));  // also read by the replay: sent once
  w.EndReplay(std::nullopt);
  CHECK(stream->Sent() == std::vector<std::string>{"step:order.created", "step:stock.reserved",
                                                   "step:payment.completed", "step:order.completed",
                                                   "final:COMPLETED"});
  CHECK(stream->Closed());
  CHECK(w.Done());
}

TEST_CASE("After the replay, live steps go out at once and the final status closes",
          "[completion]") {
  auto stream = std::make_shared<RecordingStream>();
  Watcher w(stream);
  w.ReplayStep(StepJson("e1", "order.created"));
  w.EndReplay(std::nullopt);
  CHECK(stream->Sent() == std::vector<std::string>{"step:order.created"});
  CHECK_FALSE(w.Done());
  w.Step(StepJson("e1", "order.created"));
  w.Step(StepJson("e2", "stock.rejected"));
  w.Finish({{"orderId", "o-1"}, {"status", "CANCELLED"}, {"reason", "OUT_OF_STOCK"}});
  w.Step(StepJson("e9", "stock.released"));  // a late step after the end is not sent
  CHECK(stream->Sent() ==
        std::vector<std::string>{"step:order.created", "step:stock.rejected", "final:CANCELLED"});
  CHECK(w.Done());
}

TEST_CASE("A saga already final in the database is replayed and closed", "[completion]") {
  auto stream = std::make_shared<RecordingStream>();
  SagaWatchers all;
  auto w = std::make_shared<Watcher>(stream);
  all.Add("o-1", w);
  w->ReplayStep(StepJson("e1", "order.created"));
  w->EndReplay(kCompleted);
  all.Remove("o-1", w);
  CHECK(all.Size() == 0);
  // A duplicate live delivery of the final batch changes nothing.
  all.Publish({SagaUpdate{"o-1", {StepJson("e4", "order.completed")}, kCompleted}});
  CHECK(stream->Sent() == std::vector<std::string>{"step:order.created", "final:COMPLETED"});
}

TEST_CASE("Published updates reach every watcher of that saga and only those", "[completion]") {
  SagaWatchers all;
  auto s1 = std::make_shared<RecordingStream>();
  auto s2 = std::make_shared<RecordingStream>();
  auto other = std::make_shared<RecordingStream>();
  auto w1 = std::make_shared<Watcher>(s1);
  auto w2 = std::make_shared<Watcher>(s2);
  auto wo = std::make_shared<Watcher>(other);
  all.Add("o-1", w1);
  all.Add("o-1", w2);
  all.Add("o-2", wo);
  for (const auto& w : {w1, w2, wo}) w->EndReplay(std::nullopt);
  all.Publish({SagaUpdate{"o-1", {StepJson("e1", "order.created")}, std::nullopt},
               SagaUpdate{"o-1", {StepJson("e4", "order.completed")}, kCompleted}});
  for (const auto& s : {s1, s2}) {
    CHECK(s->Sent() == std::vector<std::string>{"step:order.created", "step:order.completed",
                                                "final:COMPLETED"});
  }
  CHECK(other->chunks.empty());
  CHECK(all.Size() == 1);  // the finished saga's watchers are dropped
}

// saga-admin: lists, shows and redrives the saga's dead letters (<topic>.dlq). docs/operations.md,
// "DLQ redrive: saga-admin".
#include <CLI/CLI.hpp>
#include <iostream>

#include "saga/admin/commands.hpp"
#include "saga/config/program.hpp"

int main(int argc, char** argv) {
  using namespace saga::admin;
  CLI::App app{
      "Dead letters of the saga: every <topic>.dlq of the saga's topics. `dlq list` and `dlq show` only read "
      "(partitions assigned, no consumer group, nothing committed). `dlq redrive` republishes dead letters to "
      "their source topic with the same key, value and headers (less the DLQ's error, source-* and consumer, "
      "plus `redriven`), per key in the original order. Redriving twice changes nothing: a republished event "
      "keeps its eventId, so each consumer's inbox takes a repeat as a duplicate."};
  app.option_defaults()->always_capture_default();
  app.set_version_flag("--version", saga::config::VersionLine("saga-admin"));
  app.require_subcommand(1);
  app.fallthrough();  // the global options may come after the subcommands too
  Connection c;
  int timeout_ms = 10'000;
  app.add_option("--bootstrap", c.bootstrap, "Kafka bootstrap servers")->envname("KAFKA_BOOTSTRAP");
  app.add_option("--timeout-ms", timeout_ms, "bound of each step: reading the DLQ, each saga look-up, each delivery")
      ->check(CLI::Range(100, 600'000));

  auto* dlq = app.add_subcommand("dlq", "the dead-letter topics")->require_subcommand(1);

  ListOptions list;
  auto* list_cmd = dlq->add_subcommand("list", "every dead letter, one line each (or JSON lines)");
  list_cmd->add_option("--topic", list.topic, "only this topic's DLQ (payment.completed or payment.completed.dlq)");
  list_cmd->add_option("--key", list.key, "only messages with this key (the orderId)");
  list_cmd->add_flag("--json", list.json, "one JSON object per line");

  ShowOptions show;
  auto* show_cmd = dlq->add_subcommand("show", "one dead letter: headers, error and the value pretty-printed");
  auto* show_topic = show_cmd->add_option("--topic", show.topic, "the DLQ topic (or its source topic)");
  auto* show_partition = show_cmd->add_option("--partition", show.partition, "the DLQ message's partition");
  auto* show_offset = show_cmd->add_option("--offset", show.offset, "the DLQ message's offset");
  show_partition->needs(show_topic)->needs(show_offset);
  show_offset->needs(show_topic)->needs(show_partition);
  show_cmd->add_option("--event-id", show.event_id, "instead of a position: every dead letter of this eventId");
  show_cmd->add_flag("--json", show.json, "as one JSON object per dead letter");

  RedriveOptions redrive;
  auto* redrive_cmd = dlq->add_subcommand("redrive", "republish dead letters to their source topic");
  redrive_cmd->footer(
      "Each selected dead letter goes to its source topic (the source-topic header, else the DLQ topic without "
      ".dlq) with its key, value and original headers plus `redriven: <dlq topic>:<partition>:<offset>@<time>`; "
      "per key in the saga's topic order and source (partition, offset) order, through an idempotent producer "
      "(acks=all), waiting for every delivery; exit 1 if any failed. An event dead-lettered by several consumers "
      "is sent once. Redriving twice changes nothing: the event keeps its eventId, so the consumers' inbox "
      "absorbs a repeat.");
  auto* all = redrive_cmd->add_flag("--all", redrive.all, "every dead letter of every DLQ topic");
  redrive_cmd->add_option("--topic", redrive.topic, "only this topic's DLQ")->excludes(all);
  redrive_cmd->add_option("--key", redrive.key, "only messages with this key (the orderId)")->excludes(all);
  redrive_cmd->add_flag("--dry-run", redrive.dry_run, "say what would be redriven; send nothing");
  redrive_cmd
      ->add_option("--completion", redrive.completion_url,
                   "completion's URL, like http://127.0.0.1:8083: before redriving, GET /sagas/{orderId} and say "
                   "when the saga is already final (COMPLETED or CANCELLED): then redriving changes nothing")
      ->envname("COMPLETION_URL");
  redrive_cmd->add_flag("--skip-final", redrive.skip_final, "leave out the events of sagas already final");
  CLI11_PARSE(app, argc, argv);

  c.timeout = std::chrono::milliseconds(timeout_ms);
  try {
    if (list_cmd->parsed()) return ListDeadLetters(c, list, std::cout, std::cerr);
    if (show_cmd->parsed()) return ShowDeadLetter(c, show, std::cout, std::cerr);
    return RedriveDeadLetters(c, redrive, std::cout, std::cerr);
  } catch (const std::invalid_argument& e) {
    std::cerr << "saga-admin: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "saga-admin: " << e.what() << "\n";
    return 1;
  }
}

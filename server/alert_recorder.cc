#include "server/alert_recorder.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "proto/answers.h"

namespace uptake {

void AlertRecorder::Record(std::span<const Alert> alerts) {
  for (const Alert& alert : alerts) {
    auto json = std::make_shared<const std::string>(EncodeAlert(alert));
    StorageStatus status = store_.PutAlert(alert.id, *json);
    if (!status.ok()) {
      spdlog::error("[alert {}] [account {}] failed to store alert: {}", alert.id, alert.account_id,
                    status.message());
    }
    spdlog::info("[alert {}] [account {}] {} {}: {}", alert.id, alert.account_id,
                 AlertStateName(alert.state), alert.rule, alert.summary);
    hub_.Publish(std::move(json));
  }
}

}  // namespace uptake

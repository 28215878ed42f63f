#include "adapters/aws/imds_client.h"

#include "adapters/aws/imds_parse.h"

namespace spotbatch {
namespace {

constexpr const char* kInstanceActionPath = "/latest/meta-data/spot/instance-action";
constexpr const char* kTerminationTimePath = "/latest/meta-data/spot/termination-time";
constexpr const char* kRebalancePath = "/latest/meta-data/events/recommendations/rebalance";
constexpr const char* kLifecyclePath = "/latest/meta-data/autoscaling/target-lifecycle-state";

class ImdsClient final : public InstanceMetadata {
 public:
  explicit ImdsClient(std::unique_ptr<ImdsSession> session) : session_(std::move(session)) {}

  Result<MetadataNotices> Poll() override {
    MetadataNotices out;
    // The notice itself: instance-action, or the legacy termination-time where it is all
    // the service offers.
    SB_ASSIGN_OR_RETURN(ImdsAnswer action, session_->Get(kInstanceActionPath));
    if (action.status == 200) {
      SB_ASSIGN_OR_RETURN(out.interruption, ParseInstanceAction(action.body));
    } else if (action.status == 404) {
      SB_ASSIGN_OR_RETURN(ImdsAnswer legacy, session_->Get(kTerminationTimePath));
      if (legacy.status == 200) {
        SB_ASSIGN_OR_RETURN(const int64_t time, ParseTerminationTime(legacy.body));
        out.interruption = SpotInterruption{SpotAction::kTerminate, time};
      } else if (legacy.status != 404) {
        return UnexpectedImdsAnswer(kTerminationTimePath, legacy.status);
      }
    } else {
      return UnexpectedImdsAnswer(kInstanceActionPath, action.status);
    }
    SB_ASSIGN_OR_RETURN(ImdsAnswer rebalance, session_->Get(kRebalancePath));
    if (rebalance.status == 200) {
      SB_ASSIGN_OR_RETURN(out.rebalance_unix_millis, ParseRebalanceRecommendation(rebalance.body));
    } else if (rebalance.status != 404) {
      return UnexpectedImdsAnswer(kRebalancePath, rebalance.status);
    }
    SB_ASSIGN_OR_RETURN(ImdsAnswer lifecycle, session_->Get(kLifecyclePath));
    if (lifecycle.status == 200) {
      SB_ASSIGN_OR_RETURN(out.target_lifecycle_state, ParseLifecycleState(lifecycle.body));
    } else if (lifecycle.status != 404) {
      return UnexpectedImdsAnswer(kLifecyclePath, lifecycle.status);
    }
    return out;
  }

 private:
  std::unique_ptr<ImdsSession> session_;
};

}  // namespace

Result<std::unique_ptr<InstanceMetadata>> NewImdsClient(const ImdsOptions& options, Clock& clock) {
  SB_ASSIGN_OR_RETURN(std::unique_ptr<ImdsSession> session, ImdsSession::Create(options, clock));
  return std::unique_ptr<InstanceMetadata>(new ImdsClient(std::move(session)));
}

Result<InstanceIdentity> ReadInstanceIdentity(const ImdsOptions& options, Clock& clock) {
  SB_ASSIGN_OR_RETURN(std::unique_ptr<ImdsSession> session, ImdsSession::Create(options, clock));
  auto read = [&](std::string_view what) -> Result<std::string> {
    const std::string path = "/latest/meta-data/" + std::string(what);
    SB_ASSIGN_OR_RETURN(ImdsAnswer answer, session->Get(path));
    if (answer.status == 404) {
      return NotFound("instance metadata has no " + std::string(what));
    }
    if (answer.status != 200) return UnexpectedImdsAnswer(path, answer.status);
    return ParseIdentityValue(what, answer.body);
  };
  InstanceIdentity id;
  SB_ASSIGN_OR_RETURN(id.instance_id, read("instance-id"));
  SB_ASSIGN_OR_RETURN(id.instance_type, read("instance-type"));
  SB_ASSIGN_OR_RETURN(id.zone, read("placement/availability-zone"));
  SB_ASSIGN_OR_RETURN(id.region, read("placement/region"));
  SB_ASSIGN_OR_RETURN(const std::string life_cycle, read("instance-life-cycle"));
  id.spot = life_cycle == "spot";
  return id;
}

}  // namespace spotbatch

// The GH Archive event type codes of the minimized files in
// data/usage-events/gharchive-minimized, mapped to the full type names
// uptake-replay sends as event names.

#ifndef UPTAKE_TESTS_INTEGRATION_GHARCHIVE_H_
#define UPTAKE_TESTS_INTEGRATION_GHARCHIVE_H_

#include <map>
#include <string>

namespace uptake::testing {

inline const std::map<std::string, std::string>& GhTypeNames() {
  static const std::map<std::string, std::string> names = {
      {"pr", "PullRequestEvent"},
      {"issue", "IssuesEvent"},
      {"push", "PushEvent"},
      {"del", "DeleteEvent"},
      {"create", "CreateEvent"},
      {"icomment", "IssueCommentEvent"},
      {"fork", "ForkEvent"},
      {"public", "PublicEvent"},
      {"watch", "WatchEvent"},
      {"golem", "GollumEvent"},
      {"prcomment", "PullRequestReviewCommentEvent"},
      {"release", "ReleaseEvent"},
      {"member", "MemberEvent"},
      {"ccomment", "CommitCommentEvent"}};
  return names;
}

}  // namespace uptake::testing

#endif  // UPTAKE_TESTS_INTEGRATION_GHARCHIVE_H_

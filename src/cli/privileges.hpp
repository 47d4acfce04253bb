#pragma once
// Dropping root after the capture is open (tcpdump -Z).

#include <string>

namespace synscope::cli {

/// When running as root and `user` is not "root" or empty, switches to that user (groups, gid, uid).
/// Returns a description of what happened ("" when nothing was done). Throws std::runtime_error when
/// the user does not exist or the switch fails.
std::string drop_privileges(const std::string& user);

}  // namespace synscope::cli

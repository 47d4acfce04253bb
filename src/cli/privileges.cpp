#include "privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace synscope::cli {

std::string drop_privileges(const std::string& user) {
  if (::geteuid() != 0 || user.empty() || user == "root") return "";
  errno = 0;
  const passwd* pw = ::getpwnam(user.c_str());
  if (pw == nullptr) {
    throw std::runtime_error("cannot drop privileges: no user '" + user + "' (choose one with --user, or --user root to keep root)");
  }
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) {
    throw std::runtime_error("cannot drop privileges to '" + user + "': " + std::strerror(errno));
  }
  if (::setuid(0) == 0) throw std::runtime_error("privilege drop to '" + user + "' did not stick");
  return "dropped privileges to user " + user;
}

}  // namespace synscope::cli

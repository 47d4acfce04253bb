#include "support/captures.hpp"

#include <filesystem>

namespace synscope::test {

std::vector<std::string> capture_files(bool with_fuzz) {
  namespace fs = std::filesystem;
  const fs::path src(SYNSCOPE_SOURCE_DIR);
  std::vector<fs::path> dirs{src / "captures", src / ".." / "shared" / "captures"};
  if (with_fuzz) dirs.push_back(src / "fuzz");
  std::vector<std::string> files;
  for (const fs::path& dir : dirs) {
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      const std::string ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".pcap" || ext == ".pcapng" || ext == ".cap")) {
        files.push_back(e.path().string());
      }
    }
  }
  return files;
}

}  // namespace synscope::test

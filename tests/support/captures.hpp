#pragma once
// Test helper: the capture files the whole-suite tests walk.

#include <string>
#include <vector>

namespace synscope::test {

/// Every .pcap/.pcapng/.cap under the project's captures/ and, when present, ../shared/captures (the
/// tcpdump, Zeek and libpcap suites, fuzz crashers included); with `with_fuzz` also those under fuzz/.
std::vector<std::string> capture_files(bool with_fuzz = false);

}  // namespace synscope::test

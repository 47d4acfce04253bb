#!/usr/bin/env bash
# ThreadSanitizer job for the one place synscope runs threads (read --jobs N: Pipeline's tracking
# thread, or its sharded tracking threads; printing packets, its printing thread): builds synscope and
# the unit tests with -fsanitize=thread in build-tsan, runs the Pipeline unit tests (every capture) and the
# CLI test that compares -j 1 with -j 2/3 over the project's captures (the plain run takes the shared ones
# too) and -j 2/3/5/16 over a 200,000-packet file. Any data race
# report fails (halt_on_error, exit code 66).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build=${TSAN_BUILD:-build-tsan}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYNSCOPE_WERROR=ON \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" >/dev/null
cmake --build "$build" -j"$(nproc)" --target synscope synscope_tests
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
"$build/synscope_tests" --test-case="Pipeline*" --no-version
READ_JOBS_SHARED=0 SYNSCOPE="$PWD/$build/synscope" SRC="$PWD" bash tests/cli/read_jobs.sh
echo "tsan: Pipeline unit tests and read_jobs.sh clean"

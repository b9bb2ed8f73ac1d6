#!/bin/bash -eu
# Builds every libFuzzer target of Fuzz/ into $OUT the way OSS-Fuzz and ClusterFuzzLite expect:
# per target `fuzz-<name>` (the executable), `fuzz-<name>.dict`, `fuzz-<name>.options` and
# `fuzz-<name>_seed_corpus.zip` (the committed seeds, conformance recordings included).
#
# In the builder image (Dockerfile here) `precompile_swift` sets SWIFTFLAGS for $SANITIZER. Run
# outside it, this script sets the same kind of flags itself, so the build can be checked locally:
#   OUT=/tmp/cflite-out WORK=/tmp/cflite-work .clusterfuzzlite/build.sh
#
# Runtime libraries: the Swift runtime and Foundation are linked statically
# (--static-swift-stdlib); the system libraries DeviceBench links (libpci, libcrypto and what
# they pull in) are copied to $OUT/lib and found through an RPATH of $ORIGIN/lib, since the
# runner image does not have them. DT_RPATH (not RUNPATH) so libpci's own dependencies are found
# there too.
# The repository: this script's parent, or (the builder image runs a copy at $SRC/build.sh) the
# working directory the Dockerfile sets.
here="$(cd "$(dirname "$0")" && pwd)"
if [ -d "$here/../Fuzz" ]; then root="$(cd "$here/.." && pwd)"; else root="$PWD"; fi
: "${OUT:?set OUT to the directory the fuzzers go to}"
: "${SANITIZER:=address}"
work="${WORK:-$root/Fuzz/.build}"
mkdir -p "$OUT/lib" "$work"

if [ -z "${SWIFTFLAGS:-}" ] && command -v precompile_swift >/dev/null 2>&1; then
    # shellcheck disable=SC1091
    . precompile_swift
fi
if [ -z "${SWIFTFLAGS:-}" ]; then
    SWIFTFLAGS="-Xswiftc -static-stdlib --static-swift-stdlib"
    if [ "$SANITIZER" = "coverage" ]; then
        SWIFTFLAGS="$SWIFTFLAGS -Xswiftc -profile-generate -Xswiftc -profile-coverage-mapping -Xswiftc -sanitize=fuzzer"
    else
        # swiftc keeps only the last -sanitize= it is given: the combined flag (see Fuzz/run.sh).
        SWIFTFLAGS="$SWIFTFLAGS --sanitize=fuzzer --sanitize=$SANITIZER -Xswiftc -sanitize=fuzzer,$SANITIZER"
    fi
fi
linkflags=(-Xlinker --disable-new-dtags -Xlinker -rpath -Xlinker '$ORIGIN/lib')

cd "$root/Fuzz"
# shellcheck disable=SC2086
swift build -c release --scratch-path "$work/cflite-$SANITIZER" $SWIFTFLAGS "${linkflags[@]}"
# shellcheck disable=SC2086
bin="$(swift build -c release --scratch-path "$work/cflite-$SANITIZER" $SWIFTFLAGS "${linkflags[@]}" --show-bin-path)"

for source in Sources/fuzz-*; do
    fuzzer="$(basename "$source")"
    target="${fuzzer#fuzz-}"
    cp "$bin/$fuzzer" "$OUT/"
    cp "dictionaries/$target.dict" "$OUT/$fuzzer.dict"
    printf '[libfuzzer]\ntimeout = 60\nmax_len = 8192\nrss_limit_mb = 4096\n' >"$OUT/$fuzzer.options"
    rm -f "$OUT/${fuzzer}_seed_corpus.zip"
    (cd "$root/Fixtures/fuzz/corpus/$target" && zip -q -j "$OUT/${fuzzer}_seed_corpus.zip" ./*)
    # Shared libraries the runner lacks: everything but glibc's and the compiler runtime's, which
    # the runner image has in the versions the builder image linked against.
    ldd "$bin/$fuzzer" | awk '/=> \// { print $3 }' \
        | grep -Ev '/(libc|libm|libdl|librt|libpthread|libresolv|libutil|libanl|libgcc_s|libstdc\+\+|ld-linux[^/]*)\.so' \
        | while read -r library; do cp -L -n "$library" "$OUT/lib/"; done
done

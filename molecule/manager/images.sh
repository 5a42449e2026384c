#!/usr/bin/env bash
# Molecule's dependency step: the lab images this scenario starts. lab/images/build.sh names images
# by a hash of their recipe, which molecule.yml cannot compute, so the jre and postgres images are
# tagged with this checkout's prefix (lab/checkout.py) for molecule.yml; the base image is
# LAB_BASE_IMAGE, which the Makefile sets.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
: "${LAB_CHECKOUT:?is not set: run make test, or eval \"\$(lab/checkout.py)\" before molecule}"
for name in jre postgres; do
  tag=$("$root/lab/images/build.sh" "$name")
  docker tag "$tag" "dsm-lab-$name:$LAB_CHECKOUT"
done

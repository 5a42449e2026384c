#!/usr/bin/env bash
# Molecule's dependency step: the lab images this scenario starts, under stable tags.
# lab/images/build.sh names images by a hash of their recipe, which molecule.yml cannot
# compute; LAB_BASE_IMAGE / LAB_JRE_IMAGE / LAB_POSTGRES_IMAGE override these tags when a caller has them.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
for name in base jre postgres; do
  tag=$("$root/lab/images/build.sh" "$name")
  docker tag "$tag" "dsm-lab-$name:molecule-manager"
done

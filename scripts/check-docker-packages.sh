#!/usr/bin/env bash
# Checks that the build stage of docker/Dockerfile installs exactly the
# Debian packages of scripts/install-deps.sh (its list without --test).
# Exits 1 and prints both lists when they differ.
set -euo pipefail
cd "$(dirname "$0")/.."

# The words between "packages=(" and the closing ")" of install-deps.sh,
# without its comments.
script_packages=$(sed -n '/^packages=(/,/^)/p' scripts/install-deps.sh |
  sed -e 's/#.*//' -e 's/^packages=(//' -e 's/)$//' | tr -s ' \n' '\n' | sed '/^$/d' | sort)

# The words after "--no-install-recommends" in the first RUN of the build
# stage, up to the "&&" that ends the install.
docker_packages=$(sed -n '/^FROM .* AS build/,/^FROM /p' docker/Dockerfile |
  sed -n '/--no-install-recommends/,/&&/p' | sed -e 's/.*--no-install-recommends//' \
  -e 's/&&.*//' -e 's/\\$//' | tr -s ' \n' '\n' | sed '/^$/d' | sort)

if [ "$script_packages" != "$docker_packages" ]; then
  echo "docker/Dockerfile and scripts/install-deps.sh install different packages:"
  diff <(echo "$script_packages") <(echo "$docker_packages") || true
  exit 1
fi
echo "ok: $(echo "$script_packages" | wc -l) packages agree"

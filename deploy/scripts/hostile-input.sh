#!/usr/bin/env bash
# The hostile-input run at length: the hostile record set (HostileRecords) repeated ROUNDS times between good
# requests, through the real job (MiniCluster + in-JVM KRaft broker + the default model). Prints and writes
# job/target/reliability/hostile-input.md. Usage: deploy/scripts/hostile-input.sh [ROUNDS]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-20}"
mvn -B -ntp -q -pl schemas,udf install -DskipTests
mvn -B -ntp -pl job verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=HostileInputITCase -Dhostile.rounds="$rounds"
cat job/target/reliability/hostile-input.md

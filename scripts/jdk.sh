# Sourced by ./netbypass, ./run-tests and .ci/run: finds a JDK >= 25 and keeps the build fresh.
# Prints nothing on success; on failure one line saying what is missing and how to get it.

NETBYPASS_MIN_JAVA=25

# Major version of the JDK at $1 (a JAVA_HOME), or 0 when it is not a JDK.
netbypass_jdk_major() {
  local home=$1 line
  [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || { echo 0; return; }
  if [ -r "$home/release" ]; then
    line=$(grep -m1 '^JAVA_VERSION=' "$home/release" | tr -d '"')
    line=${line#JAVA_VERSION=}
  else
    line=$("$home/bin/java" -version 2>&1 | sed -n '1s/.*version "\([^"]*\)".*/\1/p')
  fi
  line=${line#1.}
  echo "${line%%[.+-]*}" | grep -E '^[0-9]+$' || echo 0
}

# Sets JAVA_HOME to a JDK >= 25: the caller's JAVA_HOME when it qualifies, else the newest under /usr/lib/jvm.
netbypass_find_jdk() {
  local best="" best_major=0 dir major
  if [ -n "${JAVA_HOME:-}" ] && [ "$(netbypass_jdk_major "$JAVA_HOME")" -ge "$NETBYPASS_MIN_JAVA" ]; then
    export JAVA_HOME
    return 0
  fi
  for dir in /usr/lib/jvm/*; do
    [ -d "$dir" ] && [ ! -L "$dir" ] || continue
    major=$(netbypass_jdk_major "$dir")
    if [ "$major" -ge "$NETBYPASS_MIN_JAVA" ] && [ "$major" -gt "$best_major" ]; then
      best=$dir best_major=$major
    fi
  done
  if [ -z "$best" ]; then
    echo "netbypass: needs a JDK $NETBYPASS_MIN_JAVA or newer (found none in JAVA_HOME or /usr/lib/jvm); install one, e.g. 'apt-get install temurin-25-jdk' from Adoptium's repository, or set JAVA_HOME to it" >&2
    return 1
  fi
  export JAVA_HOME=$best
}

netbypass_find_maven() {
  if ! command -v mvn >/dev/null 2>&1; then
    echo "netbypass: needs Apache Maven 3.8 or newer on PATH to build; install it with 'apt-get install maven'" >&2
    return 1
  fi
  # Maven's own libraries use sun.misc.Unsafe; keep JDK 25's warning about it out of our output.
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
}

# True when the CLI jar is missing or older than any build input.
netbypass_build_stale() {
  local root=$1 jar=$1/cli/target/netbypass.jar
  [ -f "$jar" ] || return 0
  [ -n "$(find "$root/pom.xml" "$root"/*/pom.xml "$root"/core/src/main "$root"/linux/src/main "$root"/demo/src/main "$root"/cli/src/main "$root"/examples \
          -newer "$jar" -print -quit 2>/dev/null)" ]
}

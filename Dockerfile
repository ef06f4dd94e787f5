# One image for both services: `servo orchestrator` and `servo worker` (the command picks the service).
# Build:  docker build -t REGION-docker.pkg.dev/PROJECT/servo/servo:latest .
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -q -B -DskipTests package -pl servo-cli -am

# A JDK, not a JRE: command assets may run Java sources directly (the example runs
# `java examples/scripts/CleanOrders.java`, which needs the jdk.compiler module).
FROM eclipse-temurin:17-jdk
# python3 is here only so `command` assets written in Python can run on the worker; drop it if you don't need it.
RUN apt-get update && apt-get install -y --no-install-recommends python3 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/servo-cli/target/servo.jar /app/servo.jar
# The launcher: runs /app/servo.jar as it is (SERVO_JAR, never building) with the JVM options below.
COPY servo /app/servo
COPY examples /app/examples
# No USER: the worker runs as root so that each tenant's command assets run as an unprivileged uid of
# that tenant, in namespaces of their own (CommandSandbox, docs/security.md); the JVM runs no tenant code.
# MaxRAMPercentage: Cloud Run gives the container its memory limit, not the machine's.
ENV SERVO_WORKDIR=/app SERVO_JAR=/app/servo.jar SERVO_JAVA_OPTS="-XX:MaxRAMPercentage=75"
# Class-data sharing: start each service once here, in this stage, so the archive is made by the JDK
# that runs it, and keep the classes it loaded in /app/servo-worker.jsa and /app/servo-orchestrator.jsa
# (about 25 MB each). A start then maps them instead of loading them from the jar: see the cold-start
# section of docs/performance.md. The same command makes them next to servo-cli/target/servo.jar.
RUN /app/servo cds-archive
# Cloud Run sets PORT; SIGTERM gives 10 s, which the services' shutdown stays within. The launcher execs
# `java -XX:+DisableAttachMechanism -Djdk.httpclient.allowRestrictedHeaders=host
# -XX:SharedArchiveFile=/app/servo-SERVICE.jsa -Xshare:auto -Xlog:cds*=off -XX:MaxRAMPercentage=75
# -jar /app/servo.jar SERVICE`, so java is PID 1 and gets the SIGTERM itself.
# DisableAttachMechanism: no process of the same user (a command asset) can attach to the JVM and read its memory.
# allowRestrictedHeaders=host: http assets by name are sent to the address the egress check approved, with the name in Host.
# -Xshare:auto: an archive that does not fit this JVM is ignored, never a reason not to start.
ENTRYPOINT ["/app/servo"]
CMD ["worker"]

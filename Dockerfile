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
COPY examples /app/examples
# No USER: the worker runs as root so that each tenant's command assets run as an unprivileged uid of
# that tenant, in namespaces of their own (CommandSandbox, docs/security.md); the JVM runs no tenant code.
ENV SERVO_WORKDIR=/app
# Cloud Run sets PORT; SIGTERM gives 10 s, which the services' shutdown stays within.
# DisableAttachMechanism: no process of the same user (a command asset) can attach to the JVM and read its memory.
# allowRestrictedHeaders=host: http assets by name are sent to the address the egress check approved, with the name in Host.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+DisableAttachMechanism", "-Djdk.httpclient.allowRestrictedHeaders=host", "-jar", "/app/servo.jar"]
CMD ["worker"]

package io.servo.bench.coldstart;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The class-data-sharing archives the image ships, made the way the Dockerfile makes them: {@code
 * servo cds-archive} of the checkout's launcher, run on {@code servo.jar} by this JVM's {@code java}
 * with the services' JVM options, which leaves {@code servo-worker.jsa} and {@code
 * servo-orchestrator.jsa} next to the jar. Each archive is then mapped once with {@code -Xshare:on},
 * which fails where {@code -Xshare:auto} would silently load the classes from the jar: the archived
 * starts must really be archived.
 */
final class ClassDataArchives {
  /** The JVM options a start with {@code archive} gets, as the launcher gives them. */
  static List<String> options(Path archive) {
    return List.of("-XX:SharedArchiveFile=" + archive, "-Xshare:auto", "-Xlog:cds*=off");
  }

  private ClassDataArchives() {}

  /** The archive of each service, freshly made for {@code servoJar}. */
  static Map<Service, Path> make(Path home, Path servoJar, List<String> javaOptions)
      throws IOException, InterruptedException {
    Path javaHome = Path.of(System.getProperty("java.home"));
    ProcessBuilder training = new ProcessBuilder(home.resolve("servo").toString(), "cds-archive")
        .redirectErrorStream(true);
    Map<String, String> env = training.environment();
    env.put("SERVO_JAR", servoJar.toString());
    env.put("SERVO_JAVA_OPTS", String.join(" ", javaOptions));
    // The archive only maps in the JVM that made it: the one the benchmark starts the services with.
    env.put("PATH", javaHome.resolve("bin") + File.pathSeparator + env.getOrDefault("PATH", ""));
    run(training, "servo cds-archive");

    Map<Service, Path> archives = new EnumMap<>(Service.class);
    for (Service service : Service.values()) {
      String jar = servoJar.getFileName().toString();
      Path archive = servoJar.resolveSibling(jar.substring(0, jar.length() - ".jar".length())
          + "-" + service.command() + ".jsa");
      List<String> check = new ArrayList<>(List.of(javaHome.resolve("bin").resolve("java").toString()));
      check.addAll(javaOptions);
      check.addAll(List.of("-XX:SharedArchiveFile=" + archive, "-Xshare:on", "-jar", servoJar.toString(), "version"));
      run(new ProcessBuilder(check).redirectErrorStream(true), "mapping " + archive + " with -Xshare:on");
      archives.put(service, archive);
    }
    return archives;
  }

  private static void run(ProcessBuilder builder, String what) throws IOException, InterruptedException {
    Process process = builder.start();
    // Small outputs (a line per archive, or the JVM's reason): read to the end, then wait.
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0) {
      process.destroyForcibly();
      throw new IOException(what + " failed:\n" + output);
    }
  }
}

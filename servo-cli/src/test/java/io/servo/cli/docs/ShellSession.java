package io.servo.cli.docs;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One bash process that runs a page's commands one at a time, as a reader pastes them, and tells
 * each command's exit code and output. Background jobs ({@code &}) write to the same transcript and
 * are stopped by {@link #close}.
 */
final class ShellSession implements AutoCloseable {
  private static final String MARKER = "__servo_doc_exit=";
  private static final Pattern MARKER_LINE = Pattern.compile(Pattern.quote(MARKER) + "(\\d+)");

  private final Process bash;
  private final Writer stdin;
  private final StringBuffer transcript = new StringBuffer();
  private final Object lock = new Object();
  private final Thread reader;

  ShellSession(Path directory, Map<String, String> environment) throws IOException {
    ProcessBuilder builder = new ProcessBuilder("bash", "-s").directory(directory.toFile()).redirectErrorStream(true);
    builder.environment().clear();
    builder.environment().putAll(environment);
    bash = builder.start();
    stdin = new java.io.OutputStreamWriter(bash.getOutputStream(), StandardCharsets.UTF_8);
    reader = new Thread(() -> {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(bash.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = out.readLine()) != null; ) {
          synchronized (lock) {
            transcript.append(line).append('\n');
            lock.notifyAll();
          }
        }
      } catch (IOException ignored) {
        // the session ended
      }
    }, "shell-session-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /** What one command printed (with whatever background jobs printed meanwhile) and its exit code. */
  record Result(String command, int exitCode, String output) {}

  Result run(String command, Duration timeout) throws IOException, InterruptedException {
    int start;
    synchronized (lock) {
      start = transcript.length();
    }
    stdin.write(command + "\necho \"" + MARKER + "$?\"\n");
    stdin.flush();
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (true) {
        Matcher m = MARKER_LINE.matcher(transcript);
        if (m.find(start)) {
          return new Result(command, Integer.parseInt(m.group(1)), transcript.substring(start, m.start()));
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || !bash.isAlive()) {
          throw new AssertionError("`" + command + "` did not end within " + timeout.toSeconds() + " s:\n" + transcript);
        }
        lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
    }
  }

  String transcript() {
    return transcript.toString();
  }

  /** Stops the background jobs (SIGTERM, as Ctrl-C or kill would), then bash; forcibly if they linger. */
  @Override
  public void close() throws IOException, InterruptedException {
    java.util.List<ProcessHandle> started = bash.descendants().toList();
    try {
      stdin.write("kill $(jobs -p) 2>/dev/null; wait; exit 0\n");
      stdin.flush();
    } catch (IOException ignored) {
      // bash is gone already
    }
    if (!bash.waitFor(30, TimeUnit.SECONDS)) {
      bash.destroyForcibly();
    }
    started.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    reader.join(TimeUnit.SECONDS.toMillis(10)); // the last lines the jobs printed as they stopped
  }
}

package io.servo.cli.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** docs/configuration.md lists exactly the SERVO_ variables the code reads. */
class CatalogueTest {
  private static final Path HOME = Path.of(System.getenv().getOrDefault("SERVO_HOME", "..")).toAbsolutePath().normalize();
  private static final Pattern VARIABLE = Pattern.compile("\\bSERVO_[A-Z0-9_]*[A-Z0-9]\\b");
  private static final Pattern STRING_LITERAL = Pattern.compile("\"(?:[^\"\\\\\\n]|\\\\.)*\"");
  /** Names that look like variables but are not read from the environment. */
  private static final Set<String> NOT_VARIABLES = Set.of("SERVO_CONSOLE");

  @Test
  void theConfigurationPageListsEveryVariableTheCodeReads() throws IOException {
    Set<String> inCode = new TreeSet<>();
    try (Stream<Path> files = Files.walk(HOME)) {
      for (Path file : (Iterable<Path>) files
          .filter(Files::isRegularFile)
          .filter(p -> (p.toString().contains("/src/main/") && p.toString().endsWith(".java"))
              || p.equals(HOME.resolve("servo")))::iterator) {
        String text = Files.readString(file);
        if (file.toString().endsWith(".java")) {
          // In Java only string literals are read from the environment; identifiers are not variables.
          Matcher literal = STRING_LITERAL.matcher(text);
          while (literal.find()) {
            collect(literal.group(), inCode);
          }
        } else {
          collect(text, inCode);
        }
      }
    }
    inCode.removeAll(NOT_VARIABLES);
    Set<String> documented = new TreeSet<>();
    collect(Files.readString(HOME.resolve("docs/configuration.md")), documented);

    assertThat(inCode).as("variables read by the code").isNotEmpty().contains("SERVO_DATABASE_URL", "SERVO_TRACE_SAMPLE_RATE");
    assertThat(documented).as("docs/configuration.md must list exactly the variables the code reads")
        .containsExactlyInAnyOrderElementsOf(inCode);
  }

  private static void collect(String text, Set<String> into) {
    Matcher m = VARIABLE.matcher(text);
    while (m.find()) {
      into.add(m.group());
    }
  }
}

package io.servo.cli.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.lang.ArchRule;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module structure of docs/architecture.md, checked on the main classes of every module servo-cli
 * sees (all but servo-bench): data flows one way (cli → orchestrator → queue → worker → storage), and
 * servo-settings and servo-telemetry are libraries that know nothing of Servo's domain.
 *
 * <p>The poms already keep a module from compiling against one it does not declare; these rules also
 * hold when a pom gains a dependency it should not have, and they name the offending class.
 */
class ModuleDependencyRulesTest {
  private static final String SETTINGS = "io.servo.settings..";
  private static final String CORE = "io.servo.core..";
  private static final String TELEMETRY = "io.servo.telemetry..";
  private static final String STORAGE = "io.servo.storage..";
  private static final String[] ORCHESTRATOR = {"io.servo.orchestrator..", "io.servo.queue.local.."};
  private static final String[] CLOUD_GCP = {"io.servo.queue.cloudtasks..", "io.servo.cloud.gcp.."};
  private static final String WORKER = "io.servo.worker..";
  private static final String CLI = "io.servo.cli..";
  private static final String BENCH = "io.servo.bench..";

  /** The domain-free libraries: every module uses them, they use no Servo module but servo-settings. */
  private static final List<String> LIBRARY_PACKAGES = List.of("io.servo.settings", "io.servo.telemetry");

  /**
   * What servo-settings' and servo-telemetry's classes must not mention, in their names, string constants or references:
   * Servo's domain attribute keys and its queue. Checked on the class files, so comments do not count.
   */
  static final List<String> DOMAIN_WORDS = List.of(
      "servo.execution", "servo.tenant", "servo.workflow", "servo.asset",
      "cloud_tasks", "CloudTasks", "cloudtasks");

  private static JavaClasses mainClasses;

  @BeforeAll
  static void importMainClasses() {
    mainClasses = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .withImportOption(ModuleDependencyRulesTest::notATestJar)
        .importPackages("io.servo");
  }

  /** The packages of several modules, for one rule: a module may own more than one package root. */
  private static String[] packages(Object... modules) {
    List<String> all = new ArrayList<>();
    for (Object m : modules) {
      if (m instanceof String[] several) {
        all.addAll(List.of(several));
      } else {
        all.add((String) m);
      }
    }
    return all.toArray(String[]::new);
  }

  /** servo-cloud-gcp's test-jar (fakes) and servo-test-support (test helpers) are no module's main code. */
  private static boolean notATestJar(Location location) {
    return !location.contains("-tests.jar") && !location.contains("/test-classes/")
        && !location.contains("servo-test-support");
  }

  @Test
  void everyModuleIsImported() {
    for (String pkg : List.of("io.servo.settings", "io.servo.core", "io.servo.telemetry", "io.servo.storage", "io.servo.orchestrator",
        "io.servo.queue.local", "io.servo.queue.cloudtasks", "io.servo.worker", "io.servo.cli")) {
      assertThat(mainClasses.stream().anyMatch(c -> c.getPackageName().startsWith(pkg)))
          .as("classes of %s on servo-cli's test classpath", pkg)
          .isTrue();
    }
    assertThat(mainClasses.stream().anyMatch(c -> c.getName().contains("Test")))
        .as("no test class imported").isFalse();
  }

  @Test
  void settingsDependsOnNoOtherServoModule() {
    check(noClasses().that().resideInAPackage(SETTINGS).should().dependOnClassesThat()
        .resideInAnyPackage(packages(CORE, TELEMETRY, STORAGE, ORCHESTRATOR, CLOUD_GCP, WORKER, CLI, BENCH)));
  }

  @Test
  void coreDependsOnNoServoModuleButSettings() {
    check(noClasses().that().resideInAPackage(CORE).should().dependOnClassesThat()
        .resideInAnyPackage(packages(TELEMETRY, STORAGE, ORCHESTRATOR, CLOUD_GCP, WORKER, CLI, BENCH)));
  }

  @Test
  void telemetryDependsOnNoServoModuleButSettings() {
    check(noClasses().that().resideInAPackage(TELEMETRY).should().dependOnClassesThat()
        .resideInAnyPackage(packages(CORE, STORAGE, ORCHESTRATOR, CLOUD_GCP, WORKER, CLI, BENCH)));
  }

  @Test
  void storageDependsOnlyOnCoreAndTelemetry() {
    check(noClasses().that().resideInAPackage(STORAGE).should().dependOnClassesThat()
        .resideInAnyPackage(packages(ORCHESTRATOR, CLOUD_GCP, WORKER, CLI, BENCH)));
  }

  @Test
  void orchestratorDoesNotDependOnTheWorkerTheCloudBackendOrTheCli() {
    check(noClasses().that().resideInAnyPackage(ORCHESTRATOR).should().dependOnClassesThat()
        .resideInAnyPackage(packages(WORKER, CLOUD_GCP, CLI, BENCH)));
  }

  @Test
  void workerDoesNotDependOnTheOrchestratorTheCloudBackendOrTheCli() {
    check(noClasses().that().resideInAPackage(WORKER).should().dependOnClassesThat()
        .resideInAnyPackage(packages(ORCHESTRATOR, CLOUD_GCP, CLI, BENCH)));
  }

  @Test
  void cloudGcpDependsOnNeitherTheServicesNorStorage() {
    check(noClasses().that().resideInAnyPackage(CLOUD_GCP).should().dependOnClassesThat()
        .resideInAnyPackage(packages(ORCHESTRATOR, WORKER, STORAGE, CLI, BENCH)));
  }

  /**
   * Tracing is wired in one place per service: its {@code tracing} package, plugged in by the server
   * class through seams ({@code RequestObserver}, {@code DeliveryObserver}, decorators). Servo-core,
   * the HTTP scaffold {@code io.servo.core.http} included, never touches OpenTelemetry.
   */
  @Test
  void outsideTheTracingPackagesOnlyTheTwoServerClassesTouchOpenTelemetry() {
    check(noClasses().that().resideInAnyPackage(packages(CORE, ORCHESTRATOR, WORKER))
        .and().resideOutsideOfPackages("io.servo.orchestrator.tracing..", "io.servo.worker.tracing..")
        .and().haveNameNotMatching("io\\.servo\\.(orchestrator\\.OrchestratorServer|worker\\.WorkerServer)(\\$.*)?")
        .should().dependOnClassesThat().resideInAPackage("io.opentelemetry.."));
  }

  @Test
  void libraryClassNamesAreDomainFree() {
    check(noClasses().that().resideInAnyPackage(SETTINGS, TELEMETRY).should()
        .haveNameMatching(".*(Execution|Tenant|Workflow|Asset|CloudTasks|Orchestrator|Worker)[^.]*"));
  }

  /**
   * No servo-settings or servo-telemetry class file holds a domain word: not as an attribute key or
   * any other string constant, nor as the name of a class, field or method it declares or refers to.
   */
  @Test
  void libraryClassFilesHoldNoDomainWords() throws IOException {
    List<String> findings = new ArrayList<>();
    int scanned = 0;
    int settingsScanned = 0;
    for (JavaClass c : mainClasses) {
      if (LIBRARY_PACKAGES.stream().noneMatch(c.getPackageName()::startsWith) || c.getSource().isEmpty()) {
        continue;
      }
      if (c.getPackageName().startsWith("io.servo.settings")) {
        settingsScanned++;
      }
      String text;
      try (InputStream in = c.getSource().get().getUri().toURL().openStream()) {
        // Class-file constants are modified UTF-8: ASCII words appear as themselves.
        text = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      }
      scanned++;
      for (String word : DOMAIN_WORDS) {
        if (text.contains(word)) {
          findings.add(c.getName() + " holds \"" + word + "\"");
        }
      }
    }
    assertThat(scanned).as("servo-settings and servo-telemetry classes scanned").isGreaterThan(10);
    assertThat(settingsScanned).as("servo-settings classes scanned").isGreaterThan(3);
    assertThat(findings)
        .as("servo-settings and servo-telemetry know no Servo domain; domain keys belong in core, orchestrator or worker")
        .isEmpty();
  }

  private static void check(ArchRule rule) {
    rule.check(mainClasses);
  }
}

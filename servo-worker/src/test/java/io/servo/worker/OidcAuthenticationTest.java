package io.servo.worker;

import static io.servo.worker.support.WorkerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.RSAKey;
import io.servo.storage.AssetResult;
import io.servo.storage.Execution;
import io.servo.worker.support.CallLog;
import io.servo.testing.logs.CapturedLogs;
import io.servo.worker.support.IdTokens;
import io.servo.worker.support.WorkerHarness;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code POST /execute} with OIDC on: the Cloud Tasks ID token is verified before the HMAC
 * signature, and a request failing either changes nothing.
 */
class OidcAuthenticationTest {
  @TempDir java.nio.file.Path dir;
  private IdTokens issuer;
  private CallLog callee;
  private WorkerHarness worker;
  private WorkerHarness.Task task;
  private Execution before;

  @BeforeEach
  void setUp() {
    issuer = IdTokens.start();
    callee = CallLog.start();
    worker = WorkerHarness.start(dir, Map.of(), issuer.workerConfig());
    task = newTask();
    before = worker.storage().executions().find("default", task.executionId()).orElseThrow();
  }

  @AfterEach
  void tearDown() {
    worker.close();
    callee.close();
    issuer.close();
  }

  private WorkerHarness.Task newTask() {
    return worker.newExecution("""
        workflow: guarded
        assets:
          - name: ping
            kind: http
            url: %s/ping
        """.formatted(callee.baseUrl()));
  }

  private Instant now() {
    return worker.clock().instant();
  }

  private void assertNothingChanged() {
    assertThat(worker.storage().executions().find("default", task.executionId())).contains(before);
    List<AssetResult> results = worker.storage().executions().assetResults("default", task.executionId());
    assertThat(results).isEmpty();
    assertThat(callee.calls()).isEmpty();
  }

  private HttpResponse<String> postWithToken(String token) {
    return worker.postWithAuthorization(task.body(), "Bearer " + token);
  }

  @Test
  void aValidIdTokenAndSignatureRunTheExecution() {
    HttpResponse<String> response = postWithToken(issuer.token(now()));

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(json(response).get("state").asText()).isEqualTo("succeeded");
    assertThat(callee.calls()).hasSize(1);
    assertThat(issuer.jwksHits()).isEqualTo(1);

    // The keys are cached: the next task does not fetch them again.
    WorkerHarness.Task second = newTask();
    HttpResponse<String> again =
        worker.postWithAuthorization(second.body(), "Bearer " + issuer.token(now()));
    assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
    assertThat(issuer.jwksHits()).isEqualTo(1);
  }

  @Test
  void googlesSchemeLessIssuerIsAccepted() {
    HttpResponse<String> response =
        postWithToken(issuer.token(now(), c -> c.issuer("accounts.google.com")));

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
  }

  @Test
  void theHmacSignatureIsStillRequiredWithAValidIdToken() {
    HttpResponse<String> response = worker.post(task.body(),
        Map.of("Authorization", "Bearer " + issuer.token(now())));

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(json(response).get("error").asText()).contains("missing X-Servo-Timestamp");
    assertNothingChanged();
  }

  @Test
  void aValidSignatureWithoutIdTokenIsRejected() {
    HttpResponse<String> response = worker.post(task.body());

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(json(response).get("error").asText())
        .isEqualTo("task not authenticated: missing Authorization: Bearer ID token (SERVO_OIDC_ENABLED is on)");
    assertNothingChanged();
  }

  static Stream<Arguments> badTokens() {
    RSAKey impostor = IdTokens.newKey("test-key-1");
    return Stream.of(
        bad("expired", (t, now) -> t.token(now.minusSeconds(7200),
            c -> c.expirationTime(Date.from(now.minusSeconds(120)))), "has expired"),
        bad("not yet valid", (t, now) -> t.token(now,
            c -> c.notBeforeTime(Date.from(now.plusSeconds(600)))), "not valid yet"),
        bad("issued in the future", (t, now) -> t.token(now.plusSeconds(600)), "issued in the future"),
        bad("wrong audience", (t, now) -> t.token(now, c -> c.audience("https://other.a.run.app")),
            "audience is not SERVO_OIDC_AUDIENCE"),
        bad("wrong issuer", (t, now) -> t.token(now, c -> c.issuer("https://evil.example.com")),
            "issuer is not SERVO_OIDC_ISSUER"),
        bad("email not allowed", (t, now) -> t.token(now,
            c -> c.claim("email", "intruder@evil-project.iam.gserviceaccount.com")),
            "email is not in SERVO_OIDC_ALLOWED_EMAILS"),
        bad("unverified email", (t, now) -> t.token(now, c -> c.claim("email_verified", false)),
            "email is not verified"),
        bad("no email", (t, now) -> t.token(now, c -> c.claim("email", null)), "has no email claim"),
        bad("signed by another key with the same kid", (t, now) ->
            IdTokens.sign(impostor, "test-key-1", IdTokens.claims(now).build()),
            "signature does not verify"),
        bad("signature of another token", (t, now) -> {
          String[] a = t.token(now).split("\\.");
          String[] b = t.token(now, c -> c.claim("email", "other@example.com")).split("\\.");
          return a[0] + "." + b[1] + "." + a[2];
        }, "signature does not verify"),
        bad("not a JWT", (t, now) -> "not-a-jwt", "not a JWT"),
        bad("four parts", (t, now) -> t.token(now) + ".AAAA", "not a JWT"),
        bad("padded base64", (t, now) -> {
          String[] p = t.token(now).split("\\.");
          return p[0] + "==." + p[1] + "." + p[2];
        }, "not a JWT"),
        bad("header not JSON", (t, now) -> "bm90IGpzb24." + t.token(now).split("\\.", 2)[1],
            "header is not a JSON object"),
        bad("too long", (t, now) -> "a".repeat(9000) + ".b.c", "longer than"));
  }

  private static Arguments bad(String name, TokenFactory token, String reason) {
    return Arguments.of(name, token, reason);
  }

  interface TokenFactory {
    String make(IdTokens issuer, Instant now);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badTokens")
  void badTokensAreRejectedAndChangeNothing(String name, TokenFactory factory, String reason) {
    String token = factory.make(issuer, now());
    HttpResponse<String> response;
    try (CapturedLogs logs = CapturedLogs.attach()) {
      response = postWithToken(token);
      assertThat(logs.text()).doesNotContain(token).doesNotContain(token.split("\\.")[0]);
    }

    assertThat(response.statusCode()).as(response.body()).isEqualTo(401);
    String error = json(response).get("error").asText();
    assertThat(error).startsWith("task not authenticated: ").contains(reason);
    assertThat(error).doesNotContain(token.split("\\.")[0]).doesNotContain(WorkerHarness.HMAC_SECRET)
        .doesNotContain("evil").doesNotContain("intruder");
    assertNothingChanged();
    assertThat(issuer.jwksHits()).isLessThanOrEqualTo(1);
  }

  @Test
  void otherAlgorithmsAreRejectedBeforeAnyKeyIsFetched() {
    List<String> tokens = List.of(
        issuer.unsecured(now(), ""),
        issuer.unsecured(now(), "c2lnbmF0dXJl"),
        issuer.hs256WithPublicKey(now()));
    for (String token : tokens) {
      HttpResponse<String> response = postWithToken(token);
      assertThat(response.statusCode()).as(token).isEqualTo(401);
      assertThat(json(response).get("error").asText()).containsAnyOf("must be RS256", "not a JWT");
    }
    assertThat(json(postWithToken(issuer.hs256WithPublicKey(now()))).get("error").asText())
        .contains("algorithm must be RS256");
    assertThat(issuer.jwksHits()).isZero();
    assertNothingChanged();
  }

  @Test
  void malformedAuthorizationHeadersAreRejected() {
    for (String header : List.of("", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz",
        "Bearer " + issuer.token(now()) + " extra", "Token " + issuer.token(now()))) {
      HttpResponse<String> response = worker.postWithAuthorization(task.body(), header);
      assertThat(response.statusCode()).as(header).isEqualTo(401);
    }
    assertNothingChanged();
  }

  @Test
  void unknownKeyIdsCannotMakeTheWorkerHammerTheJwksEndpoint() {
    for (int i = 0; i < 100; i++) {
      String token = IdTokens.sign(issuer.key(), UUID.randomUUID().toString(),
          IdTokens.claims(now()).build());
      HttpResponse<String> response = postWithToken(token);
      assertThat(response.statusCode()).isEqualTo(401);
      assertThat(json(response).get("error").asText()).contains("key the issuer does not publish");
    }
    assertThat(issuer.jwksHits()).isBetween(1, 2);
    assertNothingChanged();
  }

  @Test
  void aRotatedKeyIsFetchedOnceTheRefetchIntervalHasPassed() {
    assertThat(postWithToken(issuer.token(now())).statusCode()).isEqualTo(200);
    RSAKey rotated = IdTokens.newKey("test-key-2");
    issuer.publish(issuer.key(), rotated);
    WorkerHarness.Task next = newTask();
    String token = IdTokens.sign(rotated, "test-key-2", IdTokens.claims(now()).build());

    // Within the interval the new kid is unknown and the keys are not fetched again.
    assertThat(worker.postWithAuthorization(next.body(), "Bearer " + token).statusCode()).isEqualTo(401);
    assertThat(issuer.jwksHits()).isEqualTo(1);

    worker.clock().advance(Duration.ofSeconds(61));
    HttpResponse<String> response = worker.postWithAuthorization(next.body(),
        "Bearer " + IdTokens.sign(rotated, "test-key-2", IdTokens.claims(now()).build()));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(issuer.jwksHits()).isEqualTo(2);
  }

  @Test
  void anUnreachableKeyEndpointIsATransientFailure() {
    issuer.status(500);

    HttpResponse<String> response = postWithToken(issuer.token(now()));

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(Integer.parseInt(response.headers().firstValue("Retry-After").orElseThrow()))
        .isBetween(1, 60);
    assertThat(json(response).get("error").asText()).contains("SERVO_OIDC_JWKS_URL");
    assertNothingChanged();

    issuer.status(200);
    worker.clock().advance(Duration.ofSeconds(61));
    assertThat(postWithToken(issuer.token(now())).statusCode()).isEqualTo(200);
  }
}

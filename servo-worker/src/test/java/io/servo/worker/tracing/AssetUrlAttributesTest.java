package io.servo.worker.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.context.Context;
import io.servo.core.workflow.Asset;
import io.servo.core.workflow.WorkflowLoader;
import java.net.URI;
import org.junit.jupiter.api.Test;

class AssetUrlAttributesTest {
  private static Asset httpAsset(String url) {
    return WorkflowLoader.parse("""
        workflow: w
        assets:
          - name: call
            kind: http
            url: "%s"
        """.formatted(url)).assets().get(0);
  }

  @Test
  void describesTheUrlAsWrittenWithoutQueryOrUserInfo() {
    Context inAsset = Context.root().with(WorkerSpans.RUNNING_ASSET,
        httpAsset("https://user:${env:PASS}@hooks.example.com/a/b?token=${env:TOKEN}#x"));

    assertThat(AssetUrlAttributes.describe(inAsset, URI.create("https://user:pw@hooks.example.com/a/b?token=t0k")))
        .isEqualTo("https://hooks.example.com/a/b");
  }

  @Test
  void aReferenceInThePathStaysUnresolved() {
    Context inAsset = Context.root().with(WorkerSpans.RUNNING_ASSET,
        httpAsset("https://hooks.example.com/services/${env:WEBHOOK_PATH}?x=1"));

    assertThat(AssetUrlAttributes.describe(inAsset, URI.create("https://hooks.example.com/services/S3CR3T")))
        .isEqualTo("https://hooks.example.com/services/${env:WEBHOOK_PATH}");
  }

  @Test
  void outsideAnAssetTheSentUrlLosesQueryAndUserInfo() {
    assertThat(AssetUrlAttributes.describe(Context.root(),
        URI.create("http://u:p@localhost:9000/hook?sig=abc")))
        .isEqualTo("http://localhost:9000/hook");
  }
}

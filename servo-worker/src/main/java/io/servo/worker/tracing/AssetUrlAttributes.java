package io.servo.worker.tracing;

import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.context.Context;
import io.opentelemetry.instrumentation.api.instrumenter.AttributesExtractor;
import io.opentelemetry.semconv.UrlAttributes;
import io.servo.core.workflow.HttpAsset;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * Replaces the {@code url.full} the HTTP client instrumentation recorded (the URL as sent, with every
 * {@code ${env:…}} reference resolved: a token in a query or a path would reach the span) by the
 * URL as written in the workflow file. Outside an {@code http} asset it keeps scheme, host, port and
 * path only. Runs after the instrumentation's own extractor, so its value wins.
 */
final class AssetUrlAttributes implements AttributesExtractor<HttpRequest, HttpResponse<?>> {
  @Override
  public void onStart(AttributesBuilder attributes, Context parentContext, HttpRequest request) {
    attributes.put(UrlAttributes.URL_FULL, describe(parentContext, request.uri()));
  }

  @Override
  public void onEnd(AttributesBuilder attributes, Context context, HttpRequest request,
      HttpResponse<?> response, Throwable error) {}

  static String describe(Context context, URI sent) {
    if (context.get(WorkerSpans.RUNNING_ASSET) instanceof HttpAsset asset) {
      return withoutSecrets(asset.url());
    }
    return withoutSecrets(sent.toString());
  }

  /** Without user info, query and fragment, which is where credentials travel in a URL. */
  private static String withoutSecrets(String url) {
    try {
      URI uri = new URI(url);
      if (uri.getHost() == null) {
        return stripAfterQuery(url);
      }
      return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null)
          .toString();
    } catch (URISyntaxException e) {
      // A template such as "https://${env:HOST}/x" is not a URI; it holds no resolved value either.
      return stripAfterQuery(url);
    }
  }

  private static String stripAfterQuery(String url) {
    int at = url.indexOf('@');
    int slashes = url.indexOf("//");
    String s = at > slashes && slashes >= 0 && at < firstOf(url, "/?#", slashes + 2)
        ? url.substring(0, slashes + 2) + url.substring(at + 1) : url;
    int end = firstOf(s, "?#", 0);
    return s.substring(0, end);
  }

  private static int firstOf(String s, String chars, int from) {
    for (int i = from; i < s.length(); i++) {
      if (chars.indexOf(s.charAt(i)) >= 0) {
        return i;
      }
    }
    return s.length();
  }
}

package io.servo.queue.cloudtasks;

import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.TransportChannel;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.auth.Credentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Adds client interceptors to whatever gRPC channel another provider makes. Used when the caller
 * passes its own settings (e.g. a fixed in-process channel in tests), where there is no channel
 * builder to add them to.
 */
final class InterceptingChannelProvider implements TransportChannelProvider {
  private final TransportChannelProvider delegate;
  private final List<ClientInterceptor> interceptors;

  InterceptingChannelProvider(TransportChannelProvider delegate, List<ClientInterceptor> interceptors) {
    this.delegate = delegate;
    this.interceptors = List.copyOf(interceptors);
  }

  @Override
  public TransportChannel getTransportChannel() throws IOException {
    TransportChannel channel = delegate.getTransportChannel();
    if (!(channel instanceof GrpcTransportChannel grpc)) {
      throw new IllegalStateException(
          "client interceptors need a gRPC transport, but the settings use " + channel.getTransportName());
    }
    return GrpcTransportChannel.create(
        new InterceptedChannel(grpc, ClientInterceptors.intercept(grpc.getChannel(), interceptors)));
  }

  private InterceptingChannelProvider wrap(TransportChannelProvider provider) {
    return new InterceptingChannelProvider(provider, interceptors);
  }

  @Override public boolean shouldAutoClose() { return delegate.shouldAutoClose(); }
  @Override public boolean needsExecutor() { return delegate.needsExecutor(); }
  // getExecutor() is not delegated: TransportChannelProvider has it only in gax newer than libraries-bom
  // 26.76.0's (2.74.1). Delegate it here when the BOM brings a gax that has it.
  @Override public TransportChannelProvider withExecutor(Executor executor) { return wrap(delegate.withExecutor(executor)); }
  @SuppressWarnings("deprecation")
  @Override public TransportChannelProvider withExecutor(ScheduledExecutorService executor) { return wrap(delegate.withExecutor(executor)); }
  @Override public boolean needsBackgroundExecutor() { return delegate.needsBackgroundExecutor(); }
  @Override public TransportChannelProvider withBackgroundExecutor(ScheduledExecutorService executor) { return wrap(delegate.withBackgroundExecutor(executor)); }
  @Override public boolean needsHeaders() { return delegate.needsHeaders(); }
  @Override public TransportChannelProvider withHeaders(Map<String, String> headers) { return wrap(delegate.withHeaders(headers)); }
  @Override public boolean needsEndpoint() { return delegate.needsEndpoint(); }
  @Override public TransportChannelProvider withEndpoint(String endpoint) { return wrap(delegate.withEndpoint(endpoint)); }
  @Override public boolean needsMtlsEndpoint() { return delegate.needsMtlsEndpoint(); }
  @Override public TransportChannelProvider withMtlsEndpoint(String endpoint) { return wrap(delegate.withMtlsEndpoint(endpoint)); }
  @Override public TransportChannelProvider withUseS2A(boolean useS2A) { return wrap(delegate.withUseS2A(useS2A)); }
  @SuppressWarnings("deprecation")
  @Override public boolean acceptsPoolSize() { return delegate.acceptsPoolSize(); }
  @SuppressWarnings("deprecation")
  @Override public TransportChannelProvider withPoolSize(int size) { return wrap(delegate.withPoolSize(size)); }
  @Override public boolean needsCredentials() { return delegate.needsCredentials(); }
  @Override public TransportChannelProvider withCredentials(Credentials credentials) { return wrap(delegate.withCredentials(credentials)); }
  @Override public String getTransportName() { return delegate.getTransportName(); }
  @Override public String getEndpoint() { return delegate.getEndpoint(); }

  /** The intercepted channel, with the original channel's lifecycle. */
  private static final class InterceptedChannel extends ManagedChannel {
    private final GrpcTransportChannel original;
    private final Channel intercepted;

    InterceptedChannel(GrpcTransportChannel original, Channel intercepted) {
      this.original = original;
      this.intercepted = intercepted;
    }

    @Override
    public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
      return intercepted.newCall(method, options);
    }

    @Override public String authority() { return intercepted.authority(); }
    @Override public ManagedChannel shutdown() { original.shutdown(); return this; }
    @Override public boolean isShutdown() { return original.isShutdown(); }
    @Override public boolean isTerminated() { return original.isTerminated(); }
    @Override public ManagedChannel shutdownNow() { original.shutdownNow(); return this; }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
      return original.awaitTermination(timeout, unit);
    }
  }
}

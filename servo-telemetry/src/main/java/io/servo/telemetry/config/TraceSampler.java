package io.servo.telemetry.config;

/**
 * The head sampler, named as in {@code OTEL_TRACES_SAMPLER}. Servo's own is {@link
 * #PARENTBASED_TRACEIDRATIO}: the root of a trace is decided by the ratio, every later span and hop
 * follows its parent's sampled flag, so a trace is whole or absent.
 */
public enum TraceSampler {
  /** Every span is sampled, whatever its parent says. */
  ALWAYS_ON("always_on", false),
  /** No span is sampled. */
  ALWAYS_OFF("always_off", false),
  /** Each span is sampled by the ratio applied to its trace id, whatever its parent says. */
  TRACEIDRATIO("traceidratio", false),
  /** Roots are sampled; other spans follow their parent. */
  PARENTBASED_ALWAYS_ON("parentbased_always_on", true),
  /** Roots are not sampled; other spans follow their parent. */
  PARENTBASED_ALWAYS_OFF("parentbased_always_off", true),
  /** Roots are sampled by the ratio; other spans follow their parent. Servo's default. */
  PARENTBASED_TRACEIDRATIO("parentbased_traceidratio", true);

  private final String id;
  private final boolean parentBased;

  TraceSampler(String id, boolean parentBased) {
    this.id = id;
    this.parentBased = parentBased;
  }

  /** The value as written in {@code OTEL_TRACES_SAMPLER}. */
  public String id() {
    return id;
  }

  /** Whether a span with a parent follows the parent's sampled flag. */
  public boolean parentBased() {
    return parentBased;
  }

  /** Whether the sampler applies a ratio ({@code OTEL_TRACES_SAMPLER_ARG}). */
  public boolean usesRatio() {
    return this == TRACEIDRATIO || this == PARENTBASED_TRACEIDRATIO;
  }

  /** The probability with which this sampler samples a root span, given its ratio. */
  double rootRate(double ratio) {
    switch (this) {
      case ALWAYS_ON:
      case PARENTBASED_ALWAYS_ON:
        return 1.0;
      case ALWAYS_OFF:
      case PARENTBASED_ALWAYS_OFF:
        return 0.0;
      default:
        return ratio;
    }
  }
}

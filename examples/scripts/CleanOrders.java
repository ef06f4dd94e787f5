// The `cleaned_orders` asset of examples/daily_sales.yaml: a stand-alone program the worker starts
// as a subprocess (`java CleanOrders.java`, no build step). It sees only the environment the asset
// declares, plus the trace context (TRACEPARENT) when tracing is on.
public class CleanOrders {
  public static void main(String[] args) {
    String key = System.getenv("REPORT_API_KEY");
    if (key == null || key.isEmpty()) {
      System.err.println("REPORT_API_KEY is not set");
      System.exit(2);
    }
    String traceparent = System.getenv("TRACEPARENT");
    System.out.println("cleaned 4 orders (2 regions deduplicated)"
        + (traceparent == null ? "" : "; continuing trace " + traceparent));
  }
}

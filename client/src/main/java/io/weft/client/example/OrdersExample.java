package io.weft.client.example;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.weft.client.MeshClient;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A runnable example: subscribes to {@code orders.>}, publishes three order events and prints them
 * as they come back. Start a broker ({@code bin/meshd}), then run with the client classpath:
 *
 * <pre>
 * java -cp "client/target/classes:broker/target/lib/*" io.weft.client.example.OrdersExample [HOST:PORT]
 * </pre>
 */
public final class OrdersExample {
    private OrdersExample() {
    }

    public static void main(String[] args) throws Exception {
        String server = args.length > 0 ? args[0] : "127.0.0.1:7420";
        CountDownLatch received = new CountDownLatch(3);
        try (MeshClient client = MeshClient.connect(server)) {
            client.subscribe("orders.>", m -> {
                CloudEvent e = m.event();
                System.out.printf("received %s on %s: %s%n", e.getId(), m.topic(),
                        new String(e.getData().toBytes(), StandardCharsets.UTF_8));
                received.countDown();
            }).confirmed().get(5, TimeUnit.SECONDS);

            String[] regions = {"eu", "us", "apac"};
            for (int i = 0; i < regions.length; i++) {
                CloudEvent order = CloudEventBuilder.v1()
                        .withId("order-" + (i + 1))
                        .withSource(URI.create("/shop"))
                        .withType("com.example.order.created")
                        .withTime(OffsetDateTime.now())
                        .withData("application/json", ("{\"id\":" + (i + 1) + "}").getBytes(StandardCharsets.UTF_8))
                        .build();
                client.publish("orders." + regions[i] + ".created", order);
            }
            client.flush(Duration.ofSeconds(5));
            if (!received.await(5, TimeUnit.SECONDS)) {
                System.err.println("not every event came back: is the broker at " + server + "?");
                System.exit(1);
            }
        }
    }
}

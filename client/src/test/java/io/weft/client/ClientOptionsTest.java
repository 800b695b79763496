package io.weft.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClientOptionsTest {
    @Test
    void serversAcceptCommaLists() {
        ClientOptions o = ClientOptions.builder().servers("a:1,b:2", " c:3 ").build();
        assertEquals(List.of("a:1", "b:2", "c:3"), o.servers);
    }

    @Test
    void rejectsNonsenseWithClearMessages() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ClientOptions.builder().build())
                .getMessage().contains("server"));
        assertThrows(IllegalArgumentException.class, () -> ClientOptions.builder().publishTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> ClientOptions.builder().maxPendingOutBytes(10));
    }

    @Test
    void connectToNothingListsEveryFailure() {
        MeshException e = assertThrows(MeshException.class, () -> MeshClient.connect(ClientOptions.builder()
                .servers("127.0.0.1:1", "not-a-port").connectTimeout(Duration.ofSeconds(2)).build()));
        assertTrue(e.getMessage().contains("127.0.0.1:1") && e.getMessage().contains("not-a-port"), e.getMessage());
    }

    @Test
    void durableDefaultsAndValidation() {
        ClientOptions o = ClientOptions.builder().servers("h:1").build();
        assertEquals(Duration.ofSeconds(5), o.durableAttemptTimeout);
        assertEquals(Duration.ofSeconds(30), o.durablePublishTimeout);
        assertEquals(10_000, o.maxDurableInFlight);
        assertEquals(Duration.ofSeconds(30), o.requestTimeout);
        assertThrows(IllegalArgumentException.class, () -> ClientOptions.builder().maxDurableInFlight(0));
        assertThrows(IllegalArgumentException.class, () -> ClientOptions.builder().durablePublishTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class,
                () -> ClientOptions.builder().durableRetryWait(Duration.ofSeconds(2), Duration.ofMillis(100)));
    }
}

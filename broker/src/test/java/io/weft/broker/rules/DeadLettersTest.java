package io.weft.broker.rules;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.weft.broker.rules.DeliveryOutcome.Reason;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DeadLettersTest {
    private static final CloudEvent ORDER = TestEvents.order("{\"order\":{\"id\":\"A-1\"}}");

    @Test
    void keepsTheEventAndSaysWhatHappened() {
        CloudEvent d = DeadLetters.event(ORDER, "sub-7",
                new DeliveryOutcome.DeadLetter("orders.dead", Reason.RETRIES_EXHAUSTED, "503", 4));
        assertEquals(ORDER.getId(), d.getId());
        assertEquals(ORDER.getSource(), d.getSource());
        assertEquals(ORDER.getType(), d.getType());
        assertEquals(ORDER.getSubject(), d.getSubject());
        assertEquals(ORDER.getTime(), d.getTime());
        assertEquals(ORDER.getDataSchema(), d.getDataSchema());
        assertEquals(ORDER.getDataContentType(), d.getDataContentType());
        assertArrayEquals(ORDER.getData().toBytes(), d.getData().toBytes());
        assertEquals("acme", d.getExtension("tenant"));
        assertEquals(5, d.getExtension("priority"));
        assertEquals("sub-7", d.getExtension(DeadLetters.SUBSCRIPTION));
        assertEquals("503", d.getExtension(DeadLetters.STATUS));
        assertEquals(4, d.getExtension(DeadLetters.ATTEMPTS));
        assertEquals("retries-exhausted", d.getExtension(DeadLetters.REASON));
    }

    @Test
    void timeoutsAndNotRetriableAreNamedAndOldValuesReplaced() {
        CloudEvent again = CloudEventBuilder.v1(ORDER).withExtension(DeadLetters.STATUS, "500")
                .withExtension(DeadLetters.ATTEMPTS, 11).build();
        CloudEvent d = DeadLetters.event(again, "sub-8",
                new DeliveryOutcome.DeadLetter("orders.dead", Reason.NOT_RETRIABLE, "timeout", 1));
        assertEquals("timeout", d.getExtension(DeadLetters.STATUS));
        assertEquals(1, d.getExtension(DeadLetters.ATTEMPTS));
        assertEquals("not-retriable", d.getExtension(DeadLetters.REASON));
    }

    @Test
    void extensionNamesAreValidCloudEventsNames() {
        for (String name : List.of(DeadLetters.SUBSCRIPTION, DeadLetters.STATUS, DeadLetters.ATTEMPTS,
                DeadLetters.REASON)) {
            assertTrue(name.matches("[a-z0-9]{1,20}"), name);
        }
        CloudEvent d = DeadLetters.event(ORDER, "s",
                new DeliveryOutcome.DeadLetter("t", Reason.NOT_RETRIABLE, "400", 1));
        assertTrue(d.getExtensionNames().containsAll(Set.of("weftsubscription", "weftstatus", "weftattempts",
                "weftreason")));
    }

    @Test
    void aDeadLetterNamesItsSubscription() {
        assertThrows(IllegalArgumentException.class, () -> DeadLetters.event(ORDER, "",
                new DeliveryOutcome.DeadLetter("t", Reason.NOT_RETRIABLE, "400", 1)));
    }
}

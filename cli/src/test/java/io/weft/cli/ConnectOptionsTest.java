package io.weft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.weft.client.BrokerCandidate;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The note that tells a user which node served a command when it was not the node they named. */
class ConnectOptionsTest {
    private static final List<BrokerCandidate> CANDIDATES = List.of(
            new BrokerCandidate("127.0.0.1:12420", "cloud-2", "cloud", true, 1000, null),
            new BrokerCandidate("127.0.0.1:11420", "cloud-1", "cloud", false, 900, null));

    @Test
    void namingOneNodeThatDidNotServeSaysWhichDid() {
        assertEquals("meshctl: served by cloud-2 (127.0.0.1:12420), the nearest broker 127.0.0.1:11420 (cloud-1) told"
                        + " of; --no-discover talks to 127.0.0.1:11420 only",
                ConnectOptions.servedElsewhere("127.0.0.1:11420", false, "127.0.0.1:12420", "cloud-2", CANDIDATES));
    }

    @Test
    void nothingToSayWhenTheNamedNodeServedOrNoneWasNamedAlone() {
        assertNull(ConnectOptions.servedElsewhere("127.0.0.1:11420 ", false, "127.0.0.1:11420", "cloud-1", CANDIDATES));
        assertNull(ConnectOptions.servedElsewhere("127.0.0.1:11420,127.0.0.1:12420", false, "127.0.0.1:12420",
                "cloud-2", CANDIDATES));
        assertNull(ConnectOptions.servedElsewhere("127.0.0.1:11420", true, "127.0.0.1:12420", "cloud-2", CANDIDATES));
    }
}

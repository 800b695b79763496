package io.weft.security;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weft.security.PermissionCheck.Decision;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The permission table: publish by matching, subscribe by covering, deny overlap filters, queues, admin. */
class PermissionCheckTest {
    /** Weft's topic rules (protocol's Topics), as meshd passes them. */
    static final PermissionCheck.Topics TOPICS = new PermissionCheck.Topics() {
        @Override
        public boolean matches(String pattern, String topic) {
            return io.weft.protocol.Topics.matches(pattern, topic);
        }

        @Override
        public boolean covers(String general, String specific) {
            return io.weft.protocol.Topics.covers(general, specific);
        }

        @Override
        public boolean overlaps(String a, String b) {
            return io.weft.protocol.Topics.overlaps(a, b);
        }

        @Override
        public boolean isInternal(String topic) {
            return io.weft.protocol.Topics.isInternal(topic);
        }
    };

    private static Permissions perms(List<String> pubAllow, List<String> pubDeny, List<String> subAllow, List<String> subDeny,
                                     List<String> queues, boolean admin) {
        return new Permissions(new Permissions.Rule(pubAllow, pubDeny), new Permissions.Rule(subAllow, subDeny),
                new Permissions.Rule(queues, List.of()), admin).forUser("alice");
    }

    private static final Permissions ALICE = perms(List.of("orders.{user}.>", "audit.*"), List.of("orders.*.internal"),
            List.of("orders.>", "stock.*"), List.of("orders.secret.>"), List.of("workers"), false);

    @Test
    void publishIsAllowedByAMatchingAllowAndNoMatchingDeny() {
        String[][] table = {
                // topic, expected
                {"orders.alice.created", "ALLOW"},
                {"orders.alice.x.y", "ALLOW"},
                {"orders.bob.created", "DENY"},      // {user} is alice
                {"audit.login", "ALLOW"},
                {"audit.login.failed", "DENY"},      // * is one token
                {"orders.alice.internal", "DENY"},   // deny wins over allow
                {"_weft.check.x", "DENY"},           // internal: admin only
        };
        for (String[] row : table) {
            assertEquals(Decision.valueOf(row[1]), PermissionCheck.publish(ALICE, row[0], TOPICS).decision(), row[0]);
        }
        assertEquals(Decision.ALLOW, PermissionCheck.publish(Permissions.ALL, "_weft.check.x", TOPICS).decision());
    }

    @Test
    void aSubscriptionMustBeCoveredByAnAllowNotJustMatchIt() {
        String[][] table = {
                // pattern, queue group, expected
                {"orders.>", "", "FILTERED"},        // allowed, but orders.secret.> overlaps a deny
                {"orders.eu.*", "", "ALLOW"},        // covered, no deny overlaps
                {"orders.secret.>", "", "DENY"},     // covered by the deny
                {"orders.secret.keys", "", "DENY"},
                {"stock.*", "", "ALLOW"},
                {"stock.>", "", "DENY"},             // stock.* matches stock.a but does not cover stock.>
                {">", "", "DENY"},
                {"stock.a", "workers", "ALLOW"},
                {"stock.a", "others", "DENY"},       // queue group not allowed
                {"_weft.>", "", "DENY"},
        };
        for (String[] row : table) {
            assertEquals(Decision.valueOf(row[2]), PermissionCheck.subscribe(ALICE, row[0], row[1], TOPICS).decision(),
                    row[0] + " " + row[1]);
        }
        // a filtered subscription withholds exactly the denied events
        assertEquals(true, PermissionCheck.deliverable(ALICE, "orders.eu.created", TOPICS));
        assertEquals(false, PermissionCheck.deliverable(ALICE, "orders.secret.keys", TOPICS));
    }

    @Test
    void emptyAllowListsAllowEverythingButTheDenies() {
        Permissions p = perms(List.of(), List.of("private.>"), List.of(), List.of("private.>"), List.of(), false);
        assertEquals(Decision.ALLOW, PermissionCheck.publish(p, "anything.at.all", TOPICS).decision());
        assertEquals(Decision.DENY, PermissionCheck.publish(p, "private.x", TOPICS).decision());
        assertEquals(Decision.FILTERED, PermissionCheck.subscribe(p, ">", "", TOPICS).decision());
        assertEquals(Decision.ALLOW, PermissionCheck.subscribe(p, "public.*", "any-group", TOPICS).decision());
    }

    @Test
    void deniedDecisionsSayWhy() {
        String why = PermissionCheck.subscribe(ALICE, "stock.>", "", TOPICS).reason();
        assertEquals(true, why.contains("stock.>") && why.contains("cover"), why);
        String pub = PermissionCheck.publish(ALICE, "orders.alice.internal", TOPICS).reason();
        assertEquals(true, pub.contains("orders.*.internal"), pub);
    }

    @Test
    void overlapAndCoverAreWhatTheTableAssumes() {
        assertEquals(true, io.weft.protocol.Topics.overlaps("orders.*", "orders.>"));
        assertEquals(false, io.weft.protocol.Topics.overlaps("orders.>", "orders"));
        assertEquals(true, io.weft.protocol.Topics.overlaps("*.b.c", "a.*.>"));
        assertEquals(false, io.weft.protocol.Topics.overlaps("a.b", "*.c"));
        assertEquals(false, io.weft.protocol.Topics.overlaps(">", "_weft.x"));
        assertEquals(true, io.weft.protocol.Topics.covers("orders.>", "orders.*"));
        assertEquals(false, io.weft.protocol.Topics.covers("orders.*", "orders.>"));
    }
}

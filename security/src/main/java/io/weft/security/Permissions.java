package io.weft.security;

import java.util.List;
import java.util.Objects;

/**
 * What one user may do: publish and subscribe allow/deny pattern lists, the queue groups it may join, and
 * whether it may administer (streams, consumers, internal {@code _weft.*} topics). An empty allow list
 * allows everything; a deny always wins. {@code {user}} in a pattern stands for the user's name
 * ({@link #forUser}). Immutable.
 */
public record Permissions(Rule publish, Rule subscribe, Rule queue, boolean admin) {

    /** Allow and deny lists of patterns (or queue-group names). */
    public record Rule(List<String> allow, List<String> deny) {
        public static final Rule ANY = new Rule(List.of(), List.of());

        public Rule {
            allow = List.copyOf(allow == null ? List.of() : allow);
            deny = List.copyOf(deny == null ? List.of() : deny);
        }

        Rule substitute(String user) {
            return new Rule(allow.stream().map(p -> p.replace("{user}", user)).toList(),
                    deny.stream().map(p -> p.replace("{user}", user)).toList());
        }
    }

    /** Everything, administration included: what a node without a security config grants. */
    public static final Permissions ALL = new Permissions(Rule.ANY, Rule.ANY, Rule.ANY, true);

    public Permissions {
        Objects.requireNonNull(publish, "publish");
        Objects.requireNonNull(subscribe, "subscribe");
        Objects.requireNonNull(queue, "queue");
    }

    /** These permissions with {@code {user}} replaced by {@code user} in every pattern. */
    public Permissions forUser(String user) {
        return new Permissions(publish.substitute(user), subscribe.substitute(user), queue.substitute(user), admin);
    }
}

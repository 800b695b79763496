package io.weft.routing;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where one event goes from this node, as decided by {@link InterestEngine#route}. Immutable.
 *
 * @param deliverLocal     deliver to the local plain subscribers whose patterns match
 * @param localGroups      queue groups this node delivers to one of its local members (one whose filter,
 *                         if it has one, accepts the event)
 * @param routeForwards    same-site node name to the queue groups it becomes responsible for
 *                         (possibly none: then it is forwarded for plain subscribers only); send
 *                         the event once to each over its route link. A group goes only to a node or
 *                         site with a member whose filter accepts the event
 * @param gatewayForwards  remote site to the queue groups that site becomes responsible for;
 *                         send the event once per site to {@code gatewayNodes.get(site)}
 * @param gatewayNodes     remote site to the node of that site to send it to (this node's gateway
 *                         peer there); same key set as {@code gatewayForwards}
 * @param unroutableGroups queue groups this node was made responsible for but can hand to no
 *                         member (they left meanwhile): the event is lost for them, count it
 * @param routeConditions  the nodes of {@code routeForwards} that want the event only through
 *                         subscriptions with filters (and get no queue group): the canonical texts of
 *                         those filters. Send to such a node only when one of them accepts the event
 *                         ({@link CompiledFilters}); nodes not named here get it unconditionally
 * @param gatewayConditions the same for the sites of {@code gatewayForwards} (a site's aggregate
 *                         carries the union of its nodes' filters)
 */
public record RouteDecision(boolean deliverLocal, Set<String> localGroups,
                            Map<String, Set<String>> routeForwards,
                            Map<String, Set<String>> gatewayForwards,
                            Map<String, String> gatewayNodes,
                            Set<String> unroutableGroups,
                            Map<String, List<String>> routeConditions,
                            Map<String, List<String>> gatewayConditions) {
    /** Nothing to do: nobody here or elsewhere wants the event. */
    public static final RouteDecision NONE =
            new RouteDecision(false, Set.of(), Map.of(), Map.of(), Map.of(), Set.of());

    /** A decision without filters. */
    public RouteDecision(boolean deliverLocal, Set<String> localGroups, Map<String, Set<String>> routeForwards,
                         Map<String, Set<String>> gatewayForwards, Map<String, String> gatewayNodes,
                         Set<String> unroutableGroups) {
        this(deliverLocal, localGroups, routeForwards, gatewayForwards, gatewayNodes, unroutableGroups, Map.of(),
                Map.of());
    }

    /** True when some destination wants the event only if a filter accepts it. */
    public boolean conditional() {
        return !routeConditions.isEmpty() || !gatewayConditions.isEmpty();
    }

    /** True when the event leaves this node over no link. */
    public boolean staysLocal() {
        return routeForwards.isEmpty() && gatewayForwards.isEmpty();
    }
}

/**
 * Event filters: which events a subscription wants, decided from the event's context attributes
 * alone. Pure and self-contained: no I/O, threads or clocks, and nothing here knows about routing.
 *
 * <p>Two languages, both parsed once, when a subscription is made, into immutable trees that any
 * number of threads test per event:
 * <ul>
 *   <li>the CloudEvents Subscriptions API dialects ({@link io.weft.routing.filter.EventFilter}:
 *       {@code exact}, {@code prefix}, {@code suffix}, {@code all}, {@code any}, {@code not},
 *       {@code sql}, with Knative's {@code cesql} read as {@code sql}); a subscription's list,
 *       {@link io.weft.routing.filter.EventFilters}, ANDs them and the empty list passes all;</li>
 *   <li>CloudEvents SQL v1.0.0 ({@link io.weft.routing.filter.Cesql}): a hand-written
 *       recursive-descent parser into a typed tree; each node knows its static type, so evaluation
 *       runs on primitives, allocates only a small state object (and the strings string functions
 *       make), and never throws. LIKE patterns are compiled when parsed.</li>
 * </ul>
 * Events are read through {@link io.weft.routing.filter.Attributes}: lower-case names to a String,
 * Integer or Boolean.
 *
 * <p>Errors. Bad input is rejected when the subscription is made, never while events flow: a CESQL
 * syntax error is a {@link io.weft.routing.filter.FilterSyntaxException} with its position, and a
 * bad filter document an {@link io.weft.routing.filter.InvalidFilterException} naming the field
 * ({@code filters[0].sql: expected ')' at position 14}). A sql filter is also refused when it could
 * never pass (a call to an unknown function, an Integer or String result). While evaluating, CESQL
 * is fail-fast: the first error (missing attribute, failed cast, division by zero...) stops it and
 * the value becomes the zero value of its type; a sql filter passes only on Boolean true with no
 * error, so {@code not} of an erroring sql filter passes. A missing attribute fails
 * {@code exact}/{@code prefix}/{@code suffix}; an Integer or Boolean attribute compares by its
 * canonical string.
 *
 * <p>Canonical form. Filters travel between nodes in the interest gossip and a digest covers them,
 * so every node must write the same filters as the same bytes: {@link
 * io.weft.routing.filter.EventFilters#canonical()} is compact JSON with object keys sorted,
 * {@code cesql} written as {@code sql} and CESQL text kept as written (re-printing it would make the
 * form depend on this parser's version). Equal filters have equal canonical texts, and
 * {@link io.weft.routing.filter.EventFilters#parse} reads one back to an equal list.
 *
 * <p>The official CESQL TCK runs in the tests ({@code CesqlTckTest}, files in
 * {@code src/test/resources/cesql-tck}); the one upstream case decided otherwise, per the
 * specification's text, is listed there with the reason.
 */
package io.weft.routing.filter;

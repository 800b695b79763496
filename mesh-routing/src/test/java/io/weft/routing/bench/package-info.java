/** JMH micro-benchmarks of the routing hot paths; run them with {@code bin/jmh}. */
package io.weft.routing.bench;

/**
 * Durable streams: the pure, deterministic core of a stream replica.
 *
 * <p>{@link io.weft.storage.StreamLog} is the state machine of one stream. It takes committed Raft
 * entries (a batch of {@link io.weft.storage.Publish}es, or a {@link io.weft.storage.ConsumerOp})
 * with their index and the leader-assigned entry time, and writes events, the time index, dedupe
 * records, consumer state and the last-applied index into a {@link io.weft.storage.StreamStore} in
 * one atomic {@link io.weft.storage.Batch}. No clocks, threads or sockets: the Ratis state machine
 * and the broker wrap it.
 *
 * <p>Decisions (DESIGN.md, "Durable streams"):
 * <ul>
 *   <li>One store (one RocksDB directory) per stream replica; key layout in {@code Keys}, versioned
 *       by {@link io.weft.storage.StoreFormat#VERSION}.</li>
 *   <li>Retention (age, bytes, count) and dedupe expiry run inside apply, measured against the entry
 *       time, so every replica removes the same events at the same index.</li>
 *   <li>A duplicate {@code (source, id)} inside the window returns the original sequence even if
 *       retention has removed that event since.</li>
 *   <li>Consumers: a {@code next} is a replicated op too (it changes delivery counts and deadlines).
 *       Redelivery and dead-lettering happen when a {@code next} finds an event past its ack
 *       deadline; the broker publishes the returned {@link io.weft.storage.DeadLetter}s.</li>
 *   <li>Start {@code last} delivers the newest stored event and everything after it; {@code new}
 *       only what is stored after the consumer was created (NATS JetStream semantics).</li>
 * </ul>
 */
package io.weft.storage;

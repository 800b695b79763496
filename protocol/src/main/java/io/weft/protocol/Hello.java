package io.weft.protocol;

/** The client's first frame: the protocol versions it speaks, its name and (optionally) its site. */
public record Hello(int minVersion, int maxVersion, String clientName, String site) {
}

package io.weft.broker;

import io.weft.protocol.Topics;
import io.weft.security.PermissionCheck;

/** Weft's topic rules ({@link Topics}) for the permission checks, which do not know topic syntax themselves. */
public enum TopicRules implements PermissionCheck.Topics {
    INSTANCE;

    @Override
    public boolean matches(String pattern, String topic) {
        return Topics.matches(pattern, topic);
    }

    @Override
    public boolean covers(String general, String specific) {
        return Topics.covers(general, specific);
    }

    @Override
    public boolean overlaps(String a, String b) {
        return Topics.overlaps(a, b);
    }

    @Override
    public boolean isInternal(String topic) {
        return Topics.isInternal(topic);
    }
}

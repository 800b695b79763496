package io.weft.broker;

import io.cloudevents.CloudEvent;
import io.cloudevents.types.Time;
import io.weft.routing.filter.Attributes;
import java.time.OffsetDateTime;
import java.util.Base64;

/**
 * A decoded CloudEvent as the filter engine reads it: the same values {@link io.weft.protocol.EventCodec#attribute}
 * gives for the encoded event (strings; integer and boolean extensions as themselves; URIs and timestamps as text;
 * binary as base64).
 */
final class CloudEventAttributes implements Attributes {
    private final CloudEvent event;

    CloudEventAttributes(CloudEvent event) {
        this.event = event;
    }

    @Override
    public Object get(String name) {
        switch (name) {
            case "specversion":
                return event.getSpecVersion().toString();
            case "id":
                return event.getId();
            case "source":
                return event.getSource() == null ? null : event.getSource().toString();
            case "type":
                return event.getType();
            case "subject":
                return event.getSubject();
            case "time":
                return event.getTime() == null ? null : Time.writeTime(event.getTime());
            case "datacontenttype":
                return event.getDataContentType();
            case "dataschema":
                return event.getDataSchema() == null ? null : event.getDataSchema().toString();
            default:
                Object v = event.getExtension(name);
                if (v == null || v instanceof String || v instanceof Integer || v instanceof Boolean) {
                    return v;
                }
                if (v instanceof byte[] b) {
                    return Base64.getEncoder().encodeToString(b);
                }
                if (v instanceof OffsetDateTime t) {
                    return Time.writeTime(t);
                }
                return v.toString();
        }
    }
}

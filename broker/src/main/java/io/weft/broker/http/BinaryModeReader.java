package io.weft.broker.http;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads one event in the binary content mode: attributes from {@code ce-*} headers (values
 * percent-decoded), {@code Content-Type} as datacontenttype, the body as data. Headers other than the
 * CloudEvents attributes become string extensions.
 */
final class BinaryModeReader {
    private static final String PREFIX = "ce-";

    private BinaryModeReader() {
    }

    /** True when the request carries at least one {@code ce-*} header. */
    static boolean hasCloudEventHeaders(HttpHeaders headers) {
        Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
        while (it.hasNext()) {
            if (isCloudEventHeader(it.next().getKey())) {
                return true;
            }
        }
        return false;
    }

    static CloudEvent read(HttpHeaders headers, ByteBuf body) {
        EventRules.specVersion(attribute(headers, "specversion"));
        CloudEventBuilder b = CloudEventBuilder.v1()
                .withId(EventRules.required("id", attribute(headers, "id")))
                .withSource(EventRules.uri("source", EventRules.required("source", attribute(headers, "source"))))
                .withType(EventRules.required("type", attribute(headers, "type")));
        String subject = EventRules.nonEmpty("subject", attribute(headers, "subject"));
        if (subject != null) {
            b.withSubject(subject);
        }
        String time = attribute(headers, "time");
        if (time != null) {
            b.withTime(EventRules.time(time));
        }
        String schema = attribute(headers, "dataschema");
        if (schema != null) {
            b.withDataSchema(EventRules.uri("dataschema", schema));
        }
        if (headers.contains(PREFIX + "datacontenttype")) {
            throw HttpProblem.invalidEvent("datacontenttype",
                    "in binary mode the datacontenttype is the Content-Type header, not ce-datacontenttype");
        }
        String contentType = headers.get(HttpHeaderNames.CONTENT_TYPE);
        if (contentType != null && !contentType.isBlank()) {
            b.withDataContentType(contentType.trim());
        }
        extensions(headers, b);
        if (body.isReadable()) {
            b.withData(ByteBufUtil.getBytes(body));
        }
        return b.build();
    }

    private static void extensions(HttpHeaders headers, CloudEventBuilder b) {
        Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
        while (it.hasNext()) {
            CharSequence key = it.next().getKey();
            if (!isCloudEventHeader(key)) {
                continue;
            }
            String name = key.subSequence(PREFIX.length(), key.length()).toString().toLowerCase(Locale.ROOT);
            if (EventRules.RESERVED.contains(name)) {
                continue;
            }
            EventRules.extensionName(name);
            b.withExtension(name, attribute(headers, name));
        }
    }

    /** The percent-decoded value of header {@code ce-<name>}, null when absent; repeating it is an error. */
    private static String attribute(HttpHeaders headers, String name) {
        List<String> values = headers.getAll(PREFIX + name);
        if (values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw HttpProblem.invalidEvent(name, "header ce-" + name + " is repeated");
        }
        try {
            return PercentDecoder.decode(values.get(0).trim());
        } catch (IllegalArgumentException e) {
            throw HttpProblem.invalidEvent(name, "header ce-" + name + ": " + e.getMessage());
        }
    }

    private static boolean isCloudEventHeader(CharSequence name) {
        return name.length() > PREFIX.length() && AsciiString.regionMatches(name, true, 0, PREFIX, 0, PREFIX.length());
    }
}

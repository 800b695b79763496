package io.weft.broker.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error answered to one HTTP request as an RFC 9457 problem: thrown by the endpoints, turned into
 * an {@code application/problem+json} response by {@link HttpResponses#problem}. It is expected
 * control flow for bad input, so it carries no stack trace.
 */
final class HttpProblem extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private static final String TYPE_PREFIX = "urn:weft:problem:";

    private final HttpResponseStatus status;
    private final String type;
    private final String title;
    private final String field;
    private final Integer index;
    private final String allow;

    private HttpProblem(HttpResponseStatus status, String type, String title, String detail, String field,
            Integer index, String allow) {
        super(detail, null, false, false);
        this.status = status;
        this.type = type;
        this.title = title;
        this.field = field;
        this.index = index;
        this.allow = allow;
    }

    private static HttpProblem of(HttpResponseStatus status, String slug, String title, String detail,
            String field) {
        return new HttpProblem(status, TYPE_PREFIX + slug, title, detail, field, null, null);
    }

    /** A CloudEvent attribute is missing or invalid; {@code field} names it. */
    static HttpProblem invalidEvent(String field, String detail) {
        return of(HttpResponseStatus.BAD_REQUEST, "invalid-event", "Invalid CloudEvent", detail, field);
    }

    /** The topic (from the path, {@code field = "topic"}, or the event type, {@code "type"}) is invalid. */
    static HttpProblem invalidTopic(String field, String detail) {
        return of(HttpResponseStatus.BAD_REQUEST, "invalid-topic", "Invalid topic", detail, field);
    }

    /** The body is not the JSON it should be (syntax, shape, empty batch). */
    static HttpProblem malformedBody(String detail) {
        return of(HttpResponseStatus.BAD_REQUEST, "malformed-body", "Malformed request body", detail, "body");
    }

    /** The HTTP request itself could not be parsed. */
    static HttpProblem badRequest(HttpResponseStatus status, String detail) {
        return of(status, "bad-request", status.reasonPhrase(), detail, null);
    }

    /** A query parameter has a value the endpoint does not accept; {@code field} names the parameter. */
    static HttpProblem invalidParameter(String name, String detail) {
        return of(HttpResponseStatus.BAD_REQUEST, "invalid-parameter", "Invalid query parameter", detail, name);
    }

    /**
     * A durable stream did not store an event ({@code POST ...?ack=stream}). Retrying the same request is
     * safe: the stream drops events it already stored by source and id.
     */
    static HttpProblem notStored(String reason) {
        return of(HttpResponseStatus.SERVICE_UNAVAILABLE, "not-stored", "Event not stored",
                "the stream did not store the event: " + reason + "; retry the request, the stream drops "
                        + "duplicates by source and id", null);
    }

    /** 504: the stream may have stored the event; nobody can tell yet. */
    static HttpProblem outcomeUnknown(String reason) {
        return of(HttpResponseStatus.GATEWAY_TIMEOUT, "outcome-unknown", "Outcome unknown",
                "unknown whether the stream stored the event: " + reason + "; retrying the same event is safe, the"
                        + " stream drops duplicates by source and id", null);
    }

    static HttpProblem payloadTooLarge(long maxPayloadBytes) {
        return of(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "payload-too-large", "Payload too large",
                "the request body exceeds the limit of " + maxPayloadBytes + " bytes (--max-payload)", "body");
    }

    static HttpProblem unsupportedMediaType(String detail) {
        return of(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Unsupported media type",
                detail, null);
    }

    static HttpProblem unauthorized(String detail) {
        return of(HttpResponseStatus.UNAUTHORIZED, "unauthorized", "Unauthorized", detail, null);
    }

    static HttpProblem forbidden(String detail) {
        return of(HttpResponseStatus.FORBIDDEN, "permission-denied", "Permission denied", detail, null);
    }

    static HttpProblem notFound(String path) {
        return of(HttpResponseStatus.NOT_FOUND, "not-found", "Not found", "no resource at " + path, null);
    }

    static HttpProblem methodNotAllowed(String method, String path, String allow) {
        return new HttpProblem(HttpResponseStatus.METHOD_NOT_ALLOWED, TYPE_PREFIX + "method-not-allowed",
                "Method not allowed", method + " is not allowed on " + path + "; use " + allow, null, null, allow);
    }

    static HttpProblem internal() {
        return of(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal", "Internal server error",
                "the broker failed to handle this request; see its log", null);
    }

    /** The same problem, attributed to element {@code i} of a batch. */
    HttpProblem at(int i) {
        return new HttpProblem(status, type, title, "batch element " + i + ": " + getMessage(), field, i, allow);
    }

    HttpResponseStatus status() {
        return status;
    }

    String field() {
        return field;
    }

    Integer index() {
        return index;
    }

    /** The {@code Allow} header value of a 405, otherwise null. */
    String allow() {
        return allow;
    }

    /** The problem document, members in RFC 9457 order. */
    Map<String, Object> body() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.put("title", title);
        m.put("status", status.code());
        m.put("detail", getMessage());
        if (field != null) {
            m.put("field", field);
        }
        if (index != null) {
            m.put("index", index);
        }
        return m;
    }
}

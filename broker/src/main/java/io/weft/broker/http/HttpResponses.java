package io.weft.broker.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/** Builds complete responses with {@code Content-Type} and {@code Content-Length} set. */
final class HttpResponses {
    static final String JSON = "application/json";
    static final String PROBLEM_JSON = "application/problem+json";

    private HttpResponses() {
    }

    static FullHttpResponse json(HttpResponseStatus status, Object body) {
        try {
            return bytes(status, JSON, Json.MAPPER.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize response body", e);
        }
    }

    static FullHttpResponse problem(HttpProblem p) {
        FullHttpResponse r;
        try {
            r = bytes(p.status(), PROBLEM_JSON, Json.MAPPER.writeValueAsBytes(p.body()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize problem", e);
        }
        if (p.allow() != null) {
            r.headers().set(HttpHeaderNames.ALLOW, p.allow());
        }
        if (p.status().equals(io.netty.handler.codec.http.HttpResponseStatus.UNAUTHORIZED)) {
            r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, HttpAccess.CHALLENGE);
        }
        return r;
    }

    static FullHttpResponse bytes(HttpResponseStatus status, String contentType, byte[] body) {
        return content(status, contentType, Unpooled.wrappedBuffer(body));
    }

    static FullHttpResponse content(HttpResponseStatus status, String contentType, ByteBuf body) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        return r;
    }
}

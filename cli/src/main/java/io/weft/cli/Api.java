package io.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.weft.client.AdminResponse;
import io.weft.client.MeshClient;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;

/** Calls of the broker's admin API over the client connection ({@link MeshClient#request}). */
final class Api {
    private Api() {
    }

    /** A non-2xx answer: meshctl prints {@code error: MESSAGE} and exits 1. */
    static final class ApiException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        ApiException(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /**
     * Sends {@code method path} with {@code body} (null for none) and returns the reply's JSON (a
     * {@link NullNode} when empty).
     *
     * @throws ApiException for a non-2xx status, with the broker's {@code error} message
     */
    static JsonNode call(MeshClient client, String method, String path, JsonNode body) throws Exception {
        AdminResponse r;
        try {
            r = client.request(method, path, body == null ? null : Cli.JSON.writeValueAsString(body)).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        }
        if (!r.ok()) {
            throw new ApiException(r.status(), errorMessage(r));
        }
        return parse(r.json());
    }

    static JsonNode parse(String json) throws java.io.IOException {
        if (json == null || json.isBlank()) {
            return NullNode.getInstance();
        }
        return Cli.JSON.readTree(json);
    }

    /** The {@code error} of a non-2xx reply, else its raw body, else its status. */
    static String errorMessage(AdminResponse r) {
        String json = r.json();
        if (json != null && !json.isBlank()) {
            try {
                JsonNode n = Cli.JSON.readTree(json);
                if (n.hasNonNull("error")) {
                    return n.get("error").asText();
                }
                if (n.hasNonNull("detail")) { // problem+json (the subscriptions API): the detail names the field
                    return n.get("detail").asText();
                }
            } catch (java.io.IOException e) {
                // not JSON: show it as it is
            }
            return json.trim();
        }
        return "the broker answered " + r.status();
    }

    /** One URL path segment (a stream or consumer name). */
    static String seg(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** One query parameter value. */
    static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}

package io.weft.client;

/**
 * A broker's answer to {@link MeshClient#request}: an HTTP-like {@code status} (200, 201, 204, 400,
 * 404, 409, 503, ...) and a JSON document ({@code {"error":"..."}} when the status is not 2xx; may be
 * empty).
 */
public record AdminResponse(int status, String json) {
    /** True for a 2xx status. */
    public boolean ok() {
        return status >= 200 && status < 300;
    }
}

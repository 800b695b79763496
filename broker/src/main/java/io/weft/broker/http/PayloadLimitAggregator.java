package io.weft.broker.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;

/**
 * Aggregates a request body of at most {@code maxPayloadBytes} and answers larger ones with a 413
 * problem instead of Netty's empty one. How the connection continues:
 * <ul>
 *   <li>{@code Content-Length} too large: answered before any body byte is buffered;</li>
 *   <li>chunked body that grows too large: answered as soon as it passes the limit;</li>
 *   <li>in both cases the rest of that body is read and dropped (the aggregator ignores content until
 *       the next request), so a keep-alive connection stays usable; a {@code Connection: close}
 *       request is closed after the answer;</li>
 *   <li>{@code Expect: 100-continue} with a too large length: answered instead of 100 and the
 *       connection is closed, as the client may or may not send the body.</li>
 * </ul>
 */
final class PayloadLimitAggregator extends HttpObjectAggregator {

    PayloadLimitAggregator(int maxPayloadBytes) {
        super(maxPayloadBytes, true);
    }

    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        Object response = super.newContinueResponse(start, maxContentLength, pipeline);
        if (response instanceof HttpResponse r && r.status().equals(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE)) {
            ReferenceCountUtil.release(response);
            FullHttpResponse tooLarge = HttpResponses.problem(HttpProblem.payloadTooLarge(maxContentLength));
            HttpUtil.setKeepAlive(tooLarge, false);
            return tooLarge;
        }
        return response;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        FullHttpResponse tooLarge = HttpResponses.problem(HttpProblem.payloadTooLarge(maxContentLength()));
        HttpUtil.setKeepAlive(tooLarge, HttpUtil.isKeepAlive(oversized));
        // Answered by the dispatcher in its turn: an earlier request of this connection may still wait
        // for an asynchronous answer.
        ctx.fireChannelRead(new RequestDispatcher.Rejected(tooLarge));
    }
}

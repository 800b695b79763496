package io.weft.broker.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpResponse;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Counts every final response leaving the HTTP port by status class,
 * {@code weft_http_requests_total{code="2xx"}}, including those written by Netty's handlers (413 from
 * the aggregator). Sits right after the codec so it sees them all; shared by every connection.
 */
@ChannelHandler.Sharable
final class ResponseMetrics extends ChannelOutboundHandlerAdapter {
    /** Index = status / 100; 1xx responses are interim and not counted. */
    private final CounterDataPoint[] byClass = new CounterDataPoint[6];

    ResponseMetrics(PrometheusRegistry registry) {
        Counter requests = Counter.builder().name("weft_http_requests")
                .help("HTTP requests answered, by status class").labelNames("code").register(registry);
        for (int c = 2; c <= 5; c++) {
            byClass[c] = requests.labelValues(c + "xx");
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse r) {
            int c = r.status().code() / 100;
            if (c >= 2 && c <= 5) {
                byClass[c].inc();
            }
        }
        ctx.write(msg, promise);
    }
}

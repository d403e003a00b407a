package org.bloomstream.job;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.io.network.netty.InboundChannelHandlerFactory;
import org.apache.flink.shaded.netty4.io.netty.buffer.Unpooled;
import org.apache.flink.shaded.netty4.io.netty.channel.ChannelFutureListener;
import org.apache.flink.shaded.netty4.io.netty.channel.ChannelHandler;
import org.apache.flink.shaded.netty4.io.netty.channel.ChannelHandlerContext;
import org.apache.flink.shaded.netty4.io.netty.channel.ChannelInboundHandlerAdapter;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.DefaultFullHttpResponse;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.FullHttpResponse;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.HttpHeaderNames;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.HttpMethod;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.HttpRequest;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.HttpResponseStatus;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.HttpVersion;
import org.apache.flink.shaded.netty4.io.netty.util.ReferenceCountUtil;

/**
 * Makes the local cluster's REST API read-only and deaf to foreign host names. Flink's {@code
 * web.cancel.enable} and {@code web.submit.enable} only hide buttons in the web UI: the REST API
 * still cancels a job on {@code PATCH /jobs/:id} (seen on Flink 2.2.1, {@code
 * LocalClusterBindingTest}). Binding 127.0.0.1 keeps other machines out, but a web page in the
 * operator's browser can reach loopback through DNS rebinding, with its own host name in {@code
 * Host}. This handler, which Flink's REST server loads through its {@link
 * InboundChannelHandlerFactory} service hook, answers 403 to any method but GET, HEAD and OPTIONS
 * and 421 to a {@code Host} other than a loopback name.
 *
 * <p>It acts only where {@link #ENABLED} is set, which {@link LocalClusterSettings} does: on a real
 * Flink cluster the REST API belongs to the operators (and the job jar is not on the JobManager's
 * class path, so the hook is not even found there). Limit: any local process can still use the
 * read-only API; it has no login.
 */
public final class LocalRestGuard implements InboundChannelHandlerFactory {
    /** Turns the guard on for a REST server started with this configuration. */
    public static final ConfigOption<Boolean> ENABLED =
            ConfigOptions.key("bloomstream.local-rest-guard.enabled")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "Read-only REST API, loopback Host names only (the local cluster).");

    private static final Set<HttpMethod> READ =
            Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);
    private static final Set<String> LOOPBACK_NAMES = Set.of("127.0.0.1", "localhost", "[::1]");

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public Optional<ChannelHandler> createHandler(
            Configuration configuration, Map<String, String> responseHeaders) {
        return configuration.get(ENABLED) ? Optional.of(new Handler()) : Optional.empty();
    }

    /** Whether {@code host} (a {@code Host} header, port included) names loopback. */
    static boolean loopbackHost(String host) {
        if (host == null) {
            return false;
        }
        String h = host.trim().toLowerCase(Locale.ROOT);
        int colon = h.lastIndexOf(':');
        if (colon > h.lastIndexOf(']')) {
            h = h.substring(0, colon);
        }
        return LOOPBACK_NAMES.contains(h);
    }

    private static final class Handler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest request) {
                HttpResponseStatus refusal = null;
                String reason = null;
                if (!loopbackHost(request.headers().get(HttpHeaderNames.HOST))) {
                    refusal = HttpResponseStatus.MISDIRECTED_REQUEST;
                    reason = "this REST API answers only to 127.0.0.1 or localhost";
                } else if (!READ.contains(request.method())) {
                    refusal = HttpResponseStatus.FORBIDDEN;
                    reason = "the local cluster's REST API is read-only";
                }
                if (refusal != null) {
                    ReferenceCountUtil.release(msg);
                    byte[] body = ("{\"errors\":[\"" + reason + "\"]}").getBytes(UTF_8);
                    FullHttpResponse response =
                            new DefaultFullHttpResponse(
                                    HttpVersion.HTTP_1_1, refusal, Unpooled.wrappedBuffer(body));
                    response.headers()
                            .set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                            .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
                    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
                    return;
                }
            }
            ctx.fireChannelRead(msg);
        }
    }
}

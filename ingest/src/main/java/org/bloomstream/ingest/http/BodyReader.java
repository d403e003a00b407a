package org.bloomstream.ingest.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.io.Content;

/**
 * Reads a request body without holding a thread while the client is slow: it reads what has
 * arrived, asks Jetty to call back when more does ({@link Content.Source#demand}), and returns. A
 * client that sends one byte a second costs a connection and a buffer, never a request thread, so
 * forty of them cannot stall {@code /healthz} or other uploads. The minimum data rate and the read
 * deadline ({@link CropHttpServer}) end such a client; this only makes waiting for it free.
 */
final class BodyReader implements Runnable {
    /** A body over the limit. */
    static final class TooLarge extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooLarge() {
            super("body over the limit", null, false, false);
        }
    }

    private final Content.Source source;
    private final long max;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();

    private BodyReader(Content.Source source, long max) {
        this.source = source;
        this.max = max;
    }

    /** The body, completed with {@link TooLarge} past {@code max} bytes, or the read's failure. */
    static CompletableFuture<byte[]> read(Content.Source source, long max) {
        BodyReader r = new BodyReader(source, max);
        r.run();
        return r.result;
    }

    @Override
    public void run() {
        while (!result.isDone()) {
            Content.Chunk chunk = source.read();
            if (chunk == null) {
                source.demand(this);
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                result.completeExceptionally(chunk.getFailure());
                return;
            }
            boolean last = chunk.isLast();
            ByteBuffer b = chunk.getByteBuffer();
            if (body.size() + (long) b.remaining() > max) {
                chunk.release();
                result.completeExceptionally(new TooLarge());
                return;
            }
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            body.write(bytes, 0, bytes.length);
            chunk.release();
            if (last) {
                result.complete(body.toByteArray());
            }
        }
    }
}

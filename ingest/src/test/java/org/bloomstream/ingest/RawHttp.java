package org.bloomstream.ingest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1 by hand over a socket, for what {@link java.net.http.HttpClient} will not send: raw
 * UTF-8 or invalid bytes in headers, duplicate headers, control characters, bodies that trickle.
 */
public final class RawHttp {
    private RawHttp() {}

    /** An answer: status and body. */
    public record Answer(int status, String body) {}

    /**
     * Sends {@code head} (request line and headers, CRLF-separated, no final blank line) + body.
     */
    public static Answer exchange(int port, byte[] head, byte[] body) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(20_000);
            ByteArrayOutputStream req = new ByteArrayOutputStream();
            req.writeBytes(head);
            req.writeBytes(
                    ("\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            req.writeBytes(body);
            s.getOutputStream().write(req.toByteArray());
            s.getOutputStream().flush();
            return read(s.getInputStream());
        }
    }

    /** Reads an answer until the server closes the connection. */
    public static Answer read(InputStream in) throws IOException {
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        if (!text.startsWith("HTTP/1.1 ")) {
            return new Answer(-1, text);
        }
        int status = Integer.parseInt(text.substring(9, 12));
        int b = text.indexOf("\r\n\r\n");
        return new Answer(status, b < 0 ? "" : text.substring(b + 4));
    }

    /** The bytes of {@code s} as UTF-8. */
    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

package org.bloomstream.ingest.live;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * Who may read the live page: a {@code Host} allow-list and an optional token.
 *
 * <p><b>Host.</b> A page on another site can make a browser resolve its own name to this server's
 * address (DNS rebinding) and then read the page as same-origin: the request then carries that
 * site's name in {@code Host}. So only the names the page is meant to be reached by are answered:
 * {@code localhost}, {@code 127.0.0.1}, {@code ::1}, the address it binds when that is a specific
 * one, and those the operator adds ({@code --live-allowed-host}). Anything else is 403.
 *
 * <p><b>Token.</b> When one is set, a request must carry it: {@code Authorization: Bearer <token>}
 * (scripts), or the cookie {@value #COOKIE} that opening {@code /?token=<token>} once sets
 * (browsers: the page's own requests and thumbnails then carry it; HttpOnly, SameSite=Strict, and
 * the answer redirects to {@code /} so the token leaves the address bar). Compared in constant
 * time. {@code /healthz} needs neither check: it says ok or not and nothing about a patient.
 */
public final class LiveAccess {
    public static final String COOKIE = "bloomstream_live";

    private final byte[] token;
    private final Set<String> hosts;

    private LiveAccess(String token, Set<String> hosts) {
        this.token =
                token == null || token.isEmpty() ? null : token.getBytes(StandardCharsets.UTF_8);
        this.hosts = hosts;
    }

    /**
     * Access for a page bound to {@code bindHost}.
     *
     * @param token null or empty for none
     * @param extraHosts host names (or addresses) the page is reached by besides loopback
     */
    public static LiveAccess of(String bindHost, String token, Set<String> extraHosts) {
        Set<String> hosts = new TreeSet<>(Set.of("localhost", "127.0.0.1", "::1"));
        if (bindHost != null && !bindHost.isBlank() && !isWildcard(bindHost)) {
            hosts.add(normal(bindHost));
        }
        for (String h : extraHosts) {
            hosts.add(normal(h));
        }
        return new LiveAccess(token, Set.copyOf(hosts));
    }

    /** No token; loopback names and the bind address only. */
    public static LiveAccess loopback(String bindHost) {
        return of(bindHost, null, Set.of());
    }

    public boolean hasToken() {
        return token != null;
    }

    /** Whether the request names an allowed host. */
    boolean hostAllowed(Request request) {
        String host = request.getHttpURI().getHost();
        return host != null && hosts.contains(normal(host));
    }

    /** Whether the request carries the token (always, when there is none). */
    boolean authorised(Request request) {
        if (token == null) {
            return true;
        }
        String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return matches(auth.substring(7).trim());
        }
        for (HttpCookie c : Request.getCookies(request)) {
            if (c.getName().equals(COOKIE) && matches(c.getValue())) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code given} is the token, compared in constant time. */
    boolean matches(String given) {
        return token != null
                && given != null
                && MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token);
    }

    /** The cookie that carries the token for a browser. */
    String cookie() {
        return COOKIE
                + "="
                + new String(token, StandardCharsets.UTF_8)
                + "; Path=/; HttpOnly; SameSite=Strict";
    }

    private static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    }

    private static String normal(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h;
    }
}

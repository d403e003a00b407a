package org.bloomstream.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A headless Chromium driven over the DevTools protocol (CDP), with the JDK's own HTTP and
 * WebSocket clients: no npm, no driver binary, nothing downloaded. Enough for a page test:
 * navigate, evaluate JavaScript, take a screenshot.
 *
 * <p>The browser gets a fresh profile in a temporary folder, listens for DevTools on a free
 * loopback port it picks itself (read back from {@code DevToolsActivePort}) and is told to make no
 * background connections (updates, sync, metrics): the tests reach loopback only.
 */
final class HeadlessChromium implements AutoCloseable {
    /** CI sets this (see {@code .ci/run}); then a missing browser fails the test, never skips. */
    static final String REQUIRE_ENV = "BLOOMSTREAM_REQUIRE_BROWSER";

    /** Where to look for the browser, the first that exists wins; BLOOMSTREAM_CHROMIUM first. */
    static Optional<Path> find() {
        List<String> candidates = new ArrayList<>();
        String env = System.getenv("BLOOMSTREAM_CHROMIUM");
        if (env != null && !env.isBlank()) {
            candidates.add(env);
        }
        candidates.addAll(
                List.of(
                        "/usr/bin/chromium",
                        "/usr/bin/chromium-browser",
                        "/usr/bin/google-chrome",
                        "/usr/bin/google-chrome-stable"));
        return candidates.stream().map(Path::of).filter(Files::isExecutable).findFirst();
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final StringBuilder partial = new StringBuilder();

    private HeadlessChromium(Process process, Path profile, WebSocket socket) {
        this.process = process;
        this.profile = profile;
        this.socket = socket;
    }

    /** Starts the browser with an empty page of the given size and connects to that page. */
    static HeadlessChromium start(Path binary, int width, int height) throws Exception {
        Path profile = Files.createTempDirectory("bloomstream-chromium-");
        Path log = profile.resolve("chromium.log");
        List<String> cmd =
                List.of(
                        binary.toString(),
                        "--headless",
                        // CI runs as root in a container, where the sandbox cannot start.
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-dev-shm-usage",
                        "--no-first-run",
                        "--no-default-browser-check",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-default-apps",
                        "--disable-sync",
                        "--disable-extensions",
                        "--metrics-recording-only",
                        "--no-pings",
                        "--hide-scrollbars",
                        "--window-size=" + width + "," + height,
                        "--user-data-dir=" + profile.resolve("profile"),
                        "--remote-debugging-address=127.0.0.1",
                        "--remote-debugging-port=0",
                        "about:blank");
        Process p =
                new ProcessBuilder(cmd)
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        // A test JVM killed by a timeout never reaches close(): take the browser along anyway.
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                                    p.destroyForcibly();
                                },
                                "chromium-reaper"));
        try {
            Path portFile = profile.resolve("profile").resolve("DevToolsActivePort");
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!Files.exists(portFile) || Files.readAllLines(portFile).size() < 2) {
                if (!p.isAlive()) {
                    throw new IllegalStateException(
                            "chromium exited with " + p.exitValue() + ": " + tail(log));
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "chromium did not open its DevTools port in 60 s: " + tail(log));
                }
                Thread.sleep(50);
            }
            int port = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
            HttpClient http = HttpClient.newHttpClient();
            JsonNode targets =
                    JSON.readTree(
                            http.send(
                                            HttpRequest.newBuilder(
                                                            URI.create(
                                                                    "http://127.0.0.1:"
                                                                            + port
                                                                            + "/json/list"))
                                                    .timeout(Duration.ofSeconds(10))
                                                    .build(),
                                            HttpResponse.BodyHandlers.ofString())
                                    .body());
            String ws = null;
            for (JsonNode t : targets) {
                if (t.path("type").asText().equals("page")) {
                    ws = t.get("webSocketDebuggerUrl").asText();
                    break;
                }
            }
            if (ws == null) {
                throw new IllegalStateException("chromium has no page target: " + targets);
            }
            HeadlessChromium[] self = new HeadlessChromium[1];
            WebSocket socket =
                    http.newWebSocketBuilder()
                            .connectTimeout(Duration.ofSeconds(10))
                            .buildAsync(
                                    URI.create(ws),
                                    new WebSocket.Listener() {
                                        @Override
                                        public CompletionStage<?> onText(
                                                WebSocket w, CharSequence data, boolean last) {
                                            self[0].onText(data, last);
                                            w.request(1);
                                            return null;
                                        }
                                    })
                            .get(15, TimeUnit.SECONDS);
            // The listener may only run after self[0] is set: it asks for messages itself.
            HeadlessChromium c = new HeadlessChromium(p, profile, socket);
            self[0] = c;
            c.call("Page.enable", JSON.createObjectNode());
            c.call("Runtime.enable", JSON.createObjectNode());
            return c;
        } catch (Exception e) {
            kill(p);
            delete(profile);
            throw e;
        }
    }

    private synchronized void onText(CharSequence data, boolean last) {
        partial.append(data);
        if (!last) {
            return;
        }
        String text = partial.toString();
        partial.setLength(0);
        try {
            JsonNode msg = JSON.readTree(text);
            if (msg.has("id")) {
                CompletableFuture<JsonNode> f = pending.remove(msg.get("id").asInt());
                if (f != null) {
                    if (msg.has("error")) {
                        f.completeExceptionally(
                                new IllegalStateException("CDP error: " + msg.get("error")));
                    } else {
                        f.complete(msg.path("result"));
                    }
                }
            }
        } catch (IOException e) {
            // an event we cannot parse is of no interest
        }
    }

    /** Sends one CDP command and waits for its result. */
    JsonNode call(String method, ObjectNode params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        ObjectNode msg = JSON.createObjectNode();
        msg.put("id", id);
        msg.put("method", method);
        msg.set("params", params);
        socket.sendText(msg.toString(), true).get(10, TimeUnit.SECONDS);
        return f.get(30, TimeUnit.SECONDS);
    }

    /** Opens {@code url} and waits until the document has loaded. */
    void navigate(URI url) throws Exception {
        ObjectNode p = JSON.createObjectNode();
        p.put("url", url.toString());
        JsonNode r = call("Page.navigate", p);
        if (r.hasNonNull("errorText")) {
            throw new IllegalStateException("cannot open " + url + ": " + r.get("errorText"));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!"complete".equals(evaluate("document.readyState").asText())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(url + " did not finish loading in 30 s");
            }
            Thread.sleep(50);
        }
    }

    /** The value of a JavaScript expression (awaited if a promise), as JSON. */
    JsonNode evaluate(String expression) throws Exception {
        ObjectNode p = JSON.createObjectNode();
        p.put("expression", expression);
        p.put("returnByValue", true);
        p.put("awaitPromise", true);
        JsonNode r = call("Runtime.evaluate", p);
        if (r.has("exceptionDetails")) {
            throw new IllegalStateException(
                    "the page threw: " + r.get("exceptionDetails").path("exception"));
        }
        return r.path("result").path("value");
    }

    /**
     * Lays the page out as in a window {@code width} x {@code height} CSS pixels wide (device scale
     * 1), and waits for two animation frames so that what is measured next is what is drawn.
     */
    void resize(int width, int height) throws Exception {
        ObjectNode p = JSON.createObjectNode();
        p.put("width", width);
        p.put("height", height);
        p.put("deviceScaleFactor", 1);
        p.put("mobile", false);
        call("Emulation.setDeviceMetricsOverride", p);
        evaluate(
                "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() =>"
                        + " r(true))))");
    }

    /** A PNG of the whole page, not only the window. */
    void screenshot(Path file) throws Exception {
        ObjectNode p = JSON.createObjectNode();
        p.put("format", "png");
        p.put("captureBeyondViewport", true);
        JsonNode r = call("Page.captureScreenshot", p);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, Base64.getDecoder().decode(r.get("data").asText()));
    }

    @Override
    public void close() {
        try {
            call("Browser.close", JSON.createObjectNode());
        } catch (Exception e) {
            // killed below anyway
        }
        socket.abort();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        kill(process);
        delete(profile);
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        // Let it go before its profile is deleted: a browser still writing there would leave
        // files behind.
        try {
            p.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            // it was killed forcibly; a slow exit only costs a leftover temp file
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temp folder left behind
        }
    }
}

package org.bloomstream.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.bloomstream.devkit.demo.DemoRun;
import org.bloomstream.devkit.synthetic.SyntheticScanner;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The lab's live page in a real browser (headless Chromium) during {@code bloomstream demo}: the
 * demo prints the page's address, the page shows the demo's specimens while they are open (progress
 * below 100%), and at the end every specimen reported, with its progress, differential, subtype
 * probabilities, call and thumbnails of its most attended cells, and the alert feed. Every bar
 * draws its value: the fill's rendered width over its track's is the value within 2%, measured at
 * 1280 and 1920 px wide. Screenshots go to {@code target/live-page-running.png}, {@code
 * target/live-page-1280.png}, {@code target/live-page-1920.png} and {@code target/live-page.png}.
 *
 * <p>Without a Chromium the test is skipped with a message, unless {@code
 * BLOOMSTREAM_REQUIRE_BROWSER=1} (set by {@code .ci/run}), when it fails: CI cannot skip it
 * silently.
 */
class LivePageBrowserTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SEED = 42;
    private static final int SPECIMENS = 4;
    private static final int CELLS = 120;

    /**
     * The scanner whose stain shifts a quarter into the run (after 120 of the room's 480 crops, so
     * about 90 of its 120 cells are shifted); the drift window is 8 buckets of 8 cells here.
     */
    private static final String DRIFTING = "synth-scanner-2";

    private static final double DRIFT_THRESHOLD = 0.02;

    /** What the page shows, read from its DOM. */
    private static final String STATE =
            """
            JSON.stringify({
              version: document.body.dataset.version || null,
              connected: document.body.dataset.connected || null,
              source: document.getElementById('source').textContent,
              specimens: [...document.querySelectorAll('article.specimen')].map(a => ({
                id: a.dataset.specimenId,
                phase: a.dataset.phase,
                progress: a.dataset.progress,
                progressLabel: a.querySelector('.progress-label').textContent,
                differential: [...a.querySelectorAll('ul.differential li')]
                    .map(li => ({type: li.dataset.type, count: Number(li.dataset.count)})),
                probabilities: [...a.querySelectorAll('ul.probabilities li')]
                    .map(li => ({label: li.dataset.label, p: Number(li.dataset.p)})),
                call: (a.querySelector('ul.probabilities li.call') || {dataset: {}}).dataset.label
                    || null,
                thumbnails: [...a.querySelectorAll('img.thumb')]
                    .filter(i => i.complete && i.naturalWidth > 0).length,
                thumbnailsLoading: [...a.querySelectorAll('img.thumb')]
                    .filter(i => !i.complete).length,
                alerted: a.classList.contains('alerted')
              })),
              alerts: [...document.querySelectorAll('#alerts li')].map(li => li.dataset.alertId),
              scanners: [...document.querySelectorAll('#scanners li')].map(li => ({
                id: li.dataset.scannerId,
                alert: li.dataset.alert === 'true',
                flag: (li.querySelector('.drift-flag') || {}).textContent || null
              }))
            })
            """;

    /** The window sizes the finished page is measured and photographed at (width, height). */
    private static final int[][] SIZES = {{1280, 800}, {1920, 1080}};

    /**
     * Every bar on the page as drawn: its track's and fill's rendered boxes, and the value it
     * stands for, read from the data the page keeps next to it (not from the fill's style): a
     * differential bar is its count over the specimen's counted cells, a probability bar its p, a
     * progress bar the specimen's progress. {@code text} is the percentage printed beside it.
     */
    private static final String DRAWN =
            """
            JSON.stringify([...document.querySelectorAll('article.specimen')].flatMap(a => {
              const box = e => { const r = e ? e.getBoundingClientRect() : null;
                  return r ? {w: r.width, h: r.height} : {w: 0, h: 0}; };
              const out = [];
              if (a.dataset.progress !== '') {
                out.push({specimen: a.dataset.specimenId, kind: 'progress', label: 'progress',
                    value: Number(a.dataset.progress), text: null,
                    track: box(a.querySelector('.progress')),
                    fill: box(a.querySelector('.progress .bar'))});
              }
              const diff = [...a.querySelectorAll('ul.differential li')];
              const total = diff.reduce((t, li) => t + Number(li.dataset.count), 0);
              for (const li of diff) {
                out.push({specimen: a.dataset.specimenId, kind: 'differential',
                    label: li.dataset.type, value: total ? Number(li.dataset.count) / total : 0,
                    text: li.querySelector('.value').textContent,
                    track: box(li.querySelector('.track')), fill: box(li.querySelector('.fill'))});
              }
              for (const li of a.querySelectorAll('ul.probabilities li')) {
                out.push({specimen: a.dataset.specimenId, kind: 'probability',
                    label: li.dataset.label, value: Number(li.dataset.p),
                    text: li.querySelector('.value').textContent,
                    track: box(li.querySelector('.track')), fill: box(li.querySelector('.fill'))});
              }
              return out;
            }))
            """;

    /**
     * For every bar: the fill's rendered width over its track's equals the value within 2%, the
     * track is wide enough to read and as tall as drawn, and the percentage printed beside it is
     * the same value.
     */
    static void assertBarsDrawTheirValues(JsonNode bars, String where) {
        assertThat(bars.size()).as("bars on the page at " + where).isPositive();
        List<String> wrong = new ArrayList<>();
        for (JsonNode b : bars) {
            String name =
                    b.get("specimen").asText()
                            + " "
                            + b.get("kind").asText()
                            + " "
                            + b.get("label").asText();
            double value = b.get("value").asDouble();
            double track = b.at("/track/w").asDouble();
            double fill = b.at("/fill/w").asDouble();
            if (track < 40) {
                wrong.add(name + ": its track is " + track + " px wide");
                continue;
            }
            double drawn = fill / track;
            if (Math.abs(drawn - value) > 0.02) {
                wrong.add(
                        String.format(
                                java.util.Locale.ROOT,
                                "%s: value %.3f but the fill draws %.3f (%.1f of %.1f px)",
                                name,
                                value,
                                drawn,
                                fill,
                                track));
            }
            if (value > 0.02 && b.at("/fill/h").asDouble() < b.at("/track/h").asDouble() - 0.5) {
                wrong.add(name + ": the fill is not as tall as its track: " + b);
            }
            if (b.hasNonNull("text")) {
                String text = b.get("text").asText();
                double printed = Double.parseDouble(text.replace("%", "")) / 100;
                if (!text.endsWith("%") || Math.abs(printed - value) > 0.005) {
                    wrong.add(name + ": value " + value + " but the text beside it says " + text);
                }
            }
        }
        assertThat(wrong).as("bars that do not draw their value at " + where).isEmpty();
    }

    static boolean browserRequired() {
        return "1".equals(System.getenv(HeadlessChromium.REQUIRE_ENV))
                || Boolean.getBoolean("bloomstream.requireBrowser");
    }

    @Test
    void demoPrintsThePageAddressAndThePageShowsItsSpecimensLive() throws Exception {
        Optional<Path> chromium = HeadlessChromium.find();
        if (chromium.isEmpty()) {
            String why =
                    "no Chromium found (/usr/bin/chromium, or set BLOOMSTREAM_CHROMIUM):"
                            + " `apt-get install -y chromium`";
            if (browserRequired()) {
                fail(
                        why
                                + " ("
                                + HeadlessChromium.REQUIRE_ENV
                                + "=1: the browser test is required)");
            }
            Assumptions.abort("SKIPPED: live page browser test: " + why);
        }

        Set<String> ids =
                new TreeSet<>(
                        new SyntheticScanner(SyntheticScanner.Config.of(SEED, SPECIMENS, CELLS))
                                .specimens()
                                .keySet());
        List<JsonNode> samples = new ArrayList<>();
        AtomicReference<JsonNode> last = new AtomicReference<>();
        AtomicReference<Throwable> hookFailure = new AtomicReference<>();
        AtomicReference<URI> page = new AtomicReference<>();

        try (HeadlessChromium browser = HeadlessChromium.start(chromium.get(), 1600, 1000)) {
            AtomicBoolean sampling = new AtomicBoolean();
            Thread[] sampler = new Thread[1];
            DemoCommand demo = new DemoCommand();
            demo.hooks =
                    new DemoRun.Hooks() {
                        @Override
                        public void liveStarted(URI uri) throws Exception {
                            page.set(uri);
                            try {
                                browser.navigate(uri);
                                // Only then does the demo send its first crop: the page sees all.
                                awaitPage(
                                        browser,
                                        s -> "true".equals(s.path("connected").asText()),
                                        "the page to connect to the live view",
                                        last);
                            } catch (Throwable t) {
                                hookFailure.set(t);
                                return;
                            }
                            sampling.set(true);
                            sampler[0] =
                                    new Thread(
                                            () -> sample(browser, sampling, samples, hookFailure),
                                            "live-page-sampler");
                            sampler[0].start();
                        }

                        @Override
                        public void finished() throws Exception {
                            try {
                                sampling.set(false);
                                if (sampler[0] != null) {
                                    sampler[0].join(60_000);
                                    assertThat(sampler[0].isAlive())
                                            .as("the page sampler stopped")
                                            .isFalse();
                                }
                                // The last records reach the page within a poll or two.
                                awaitPage(
                                        browser,
                                        s -> complete(s, ids),
                                        "every specimen reported, with thumbnails loaded, and "
                                                + DRIFTING
                                                + " flagged as drifting",
                                        last);
                                // What is drawn, at the two widths a lab screen has.
                                for (int[] size : SIZES) {
                                    browser.resize(size[0], size[1]);
                                    browser.screenshot(
                                            Path.of("target", "live-page-" + size[0] + ".png"));
                                    assertBarsDrawTheirValues(
                                            JSON.readTree(browser.evaluate(DRAWN).asText()),
                                            size[0] + " px wide");
                                }
                            } catch (Throwable t) {
                                hookFailure.compareAndSet(null, t);
                            } finally {
                                browser.screenshot(Path.of("target", "live-page.png"));
                            }
                        }
                    };
            DemoCommandTest.Run r =
                    run(
                            demo,
                            "demo",
                            "--specimens",
                            String.valueOf(SPECIMENS),
                            "--cells",
                            String.valueOf(CELLS),
                            "--seed",
                            String.valueOf(SEED),
                            // A finite rate: at full speed a fast machine could finish the
                            // demo between two samples, and nothing would be seen open.
                            "--rate",
                            "150",
                            "--bad-fraction",
                            "0.02",
                            "--stain-shift",
                            DRIFTING + "@120",
                            "--drift-bucket-cells",
                            "8",
                            "--drift-threshold",
                            String.valueOf(DRIFT_THRESHOLD));
            assertThat(r.exitCode()).isZero();
            assertThat(r.summary().get("reports").asLong()).isEqualTo(SPECIMENS);

            // The demo printed the page's address, and the page was served there.
            assertThat(page.get()).as("the demo started the live page").isNotNull();
            assertThat(r.stdout()).contains("live page (dashboard): " + page.get());
            assertThat(page.get().getHost()).isEqualTo("127.0.0.1");

            if (hookFailure.get() != null) {
                throw new AssertionError(
                        "the page check failed; last state seen: " + last.get(), hookFailure.get());
            }

            // Live: while the demo ran, the page showed open specimens part way through.
            Set<String> seenOpen = new HashSet<>();
            List<JsonNode> seen;
            synchronized (samples) {
                seen = List.copyOf(samples);
            }
            for (JsonNode s : seen) {
                for (JsonNode sp : s.get("specimens")) {
                    if (!sp.get("phase").asText().equals("REPORTED")
                            && !sp.get("probabilities").isEmpty()) {
                        seenOpen.add(sp.get("id").asText());
                    }
                }
            }
            assertThat(seenOpen)
                    .as("specimens seen open, with probabilities, while the demo ran")
                    .isNotEmpty();
            assertThat(ids).containsAll(seenOpen);
            assertThat(samples.stream().map(s -> s.path("version").asText()).distinct().count())
                    .as("the page redrew as records arrived")
                    .isGreaterThan(2);

            // At the end: every specimen, reported, complete, with its content.
            JsonNode end = last.get();
            Set<String> shown = new TreeSet<>();
            for (JsonNode sp : end.get("specimens")) {
                String id = sp.get("id").asText();
                shown.add(id);
                assertThat(sp.get("phase").asText()).as(id).isEqualTo("REPORTED");
                assertThat(sp.get("progress").asDouble()).as(id + " progress").isEqualTo(1.0);
                assertThat(sp.get("progressLabel").asText())
                        .as(id)
                        .contains("of " + CELLS + " cells classified");
                long cells = 0;
                for (JsonNode d : sp.get("differential")) {
                    assertThat(d.get("type").asText()).isNotBlank();
                    cells += d.get("count").asLong();
                }
                assertThat(cells).as(id + " differential").isPositive().isLessThanOrEqualTo(CELLS);
                double sum = 0;
                for (JsonNode p : sp.get("probabilities")) {
                    sum += p.get("p").asDouble();
                }
                assertThat(sp.get("probabilities").size()).as(id).isGreaterThan(1);
                assertThat(sum).as(id + " probabilities sum to 1").isBetween(0.99, 1.01);
                assertThat(sp.get("call").asText()).as(id + " call").isNotBlank();
                assertThat(sp.get("thumbnails").asInt()).as(id + " thumbnails").isPositive();
            }
            assertThat(shown).isEqualTo(ids);
            assertThat(end.get("alerts").size())
                    .as("the alert feed")
                    .isEqualTo(r.summary().get("alerts").asInt());
            assertThat(end.get("alerts").size()).isPositive();

            // The drift watch: every scanner listed, the stained one flagged by name.
            Map<String, JsonNode> scanners = new TreeMap<>();
            end.get("scanners").forEach(sc -> scanners.put(sc.get("id").asText(), sc));
            assertThat(scanners).containsKey(DRIFTING).hasSize(4);
            assertThat(scanners.get(DRIFTING).get("alert").asBoolean()).isTrue();
            assertThat(scanners.get(DRIFTING).get("flag").asText()).isEqualTo("DRIFT");
        }
    }

    /**
     * Reads the page every 100 ms while the demo runs; one screenshot once an open specimen is at
     * least 30% through, with thumbnails.
     */
    private static void sample(
            HeadlessChromium browser,
            AtomicBoolean sampling,
            List<JsonNode> samples,
            AtomicReference<Throwable> failure) {
        boolean shot = false;
        try {
            while (sampling.get()) {
                JsonNode s = state(browser);
                synchronized (samples) {
                    samples.add(s);
                }
                if (!shot) {
                    for (JsonNode sp : s.get("specimens")) {
                        if (!sp.get("phase").asText().equals("REPORTED")
                                && sp.get("progress").asDouble() >= 0.3
                                && sp.get("thumbnails").asInt() > 0) {
                            browser.screenshot(Path.of("target", "live-page-running.png"));
                            shot = true;
                            break;
                        }
                    }
                }
                Thread.sleep(100);
            }
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
    }

    private static JsonNode state(HeadlessChromium browser) throws Exception {
        return JSON.readTree(browser.evaluate(STATE).asText());
    }

    private static boolean complete(JsonNode s, Set<String> ids) {
        Set<String> reported = new HashSet<>();
        for (JsonNode sp : s.get("specimens")) {
            if (sp.get("phase").asText().equals("REPORTED")
                    && sp.get("thumbnailsLoading").asInt() == 0
                    && sp.get("thumbnails").asInt() > 0) {
                reported.add(sp.get("id").asText());
            }
        }
        boolean flagged = false;
        for (JsonNode sc : s.path("scanners")) {
            flagged |= sc.get("id").asText().equals(DRIFTING) && sc.get("alert").asBoolean();
        }
        return reported.containsAll(ids) && !s.get("alerts").isEmpty() && flagged;
    }

    /** Polls the page's state until {@code done} holds, for up to 60 s. */
    private static void awaitPage(
            HeadlessChromium browser,
            java.util.function.Predicate<JsonNode> done,
            String what,
            AtomicReference<JsonNode> last)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            JsonNode s = state(browser);
            last.set(s);
            if (done.test(s)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited 60 s for " + what + "; the page shows " + s);
            }
            Thread.sleep(100);
        }
    }

    /** Runs the CLI with this demo command instance (and its hooks), as DemoCommandTest does. */
    private static DemoCommandTest.Run run(DemoCommand demo, String... args) throws Exception {
        CommandLine.IFactory factory =
                new CommandLine.IFactory() {
                    @Override
                    @SuppressWarnings("unchecked")
                    public <K> K create(Class<K> cls) throws Exception {
                        return cls == DemoCommand.class
                                ? (K) demo
                                : CommandLine.defaultFactory().create(cls);
                    }
                };
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            code = new CommandLine(new BloomstreamCli(), factory).execute(args);
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.print(out);
        List<String> lines = out.lines().toList();
        String lastLine = lines.get(lines.size() - 1);
        assertThat(lastLine).as("the last line is the summary").startsWith("SUMMARY {");
        return new DemoCommandTest.Run(
                code, out, JSON.readTree(lastLine.substring("SUMMARY ".length())));
    }
}

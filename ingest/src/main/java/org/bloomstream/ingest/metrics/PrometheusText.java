package org.bloomstream.ingest.metrics;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a Prometheus text endpoint on loopback into series ({@code name{labels}}) -> value: for the
 * soak benchmark, which watches the job's checkpoint size, and for the tests of every metrics
 * endpoint. A reader of our own endpoints, not a full parser of the exposition format: it skips
 * comments and values Java cannot parse, and does not unescape label values.
 */
public final class PrometheusText {
    private PrometheusText() {}

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The response of {@code GET http://127.0.0.1:port/metrics}. */
    public static HttpResponse<String> get(int port) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public static Map<String, Double> scrape(int port) throws Exception {
        return parse(get(port).body());
    }

    public static Map<String, Double> parse(String body) {
        Map<String, Double> series = new TreeMap<>();
        for (String line : body.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            try {
                series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            } catch (NumberFormatException e) {
                // NaN and the like are not needed here
            }
        }
        return series;
    }

    /** The value of the series {@code name} whose labels include every given label=value pair. */
    public static double value(Map<String, Double> series, String name, String... labels) {
        double sum = 0;
        boolean found = false;
        for (Map.Entry<String, Double> e : series.entrySet()) {
            String k = e.getKey();
            if (!(k.equals(name) || k.startsWith(name + "{"))) {
                continue;
            }
            boolean all = true;
            for (int i = 0; i < labels.length; i += 2) {
                all &= k.contains(labels[i] + "=\"" + labels[i + 1] + "\"");
            }
            if (all) {
                sum += e.getValue();
                found = true;
            }
        }
        if (!found) {
            throw new IllegalArgumentException(
                    "no series " + name + " with " + String.join(",", labels));
        }
        return sum;
    }
}

package org.bloomstream.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Peak resident memory of the embedded demo: {@code bloomstream demo} in a child JVM started with
 * this JVM's own options and class path, reporting its {@code VmHWM} in its summary line.
 */
final class MemoryBench {
    private final PrintStream out;

    MemoryBench(PrintStream out) {
        this.out = out;
    }

    Map<String, Object> run() throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String arg :
                java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            cmd.add(arg);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("org.bloomstream.app.cli.BloomstreamCli");
        cmd.add("demo");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String summary = null;
        try (BufferedReader r =
                new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("SUMMARY ")) {
                    summary = line.substring("SUMMARY ".length());
                }
            }
        }
        int code = p.waitFor();
        if (code != 0 || summary == null) {
            throw new IllegalStateException("the demo failed (exit " + code + ")");
        }
        JsonNode s = new ObjectMapper().readTree(summary);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("demo_peak_rss_mb", s.path("peak_rss_mb").asLong(-1));
        m.put("demo_wall_seconds", s.path("wall_seconds").asDouble());
        m.put("heap_limit", maxHeapArg());
        out.printf(
                "  demo: peak RSS %d MB, %.1f s%n",
                s.path("peak_rss_mb").asLong(-1), s.path("wall_seconds").asDouble());
        return m;
    }

    private static String maxHeapArg() {
        return java.lang.management.ManagementFactory.getRuntimeMXBean()
                .getInputArguments()
                .stream()
                .filter(a -> a.startsWith("-Xmx"))
                .findFirst()
                .orElse("default");
    }
}

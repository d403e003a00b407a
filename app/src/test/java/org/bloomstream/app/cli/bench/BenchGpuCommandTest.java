package org.bloomstream.app.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The smoke test of {@code bench gpu}: the same steps as on a GPU, on the CPU with the fixture
 * model, in seconds. Checks that every stage measured something and that the parity gate decides
 * the exit code.
 */
class BenchGpuCommandTest {

    private static int run(String... args) {
        return new CommandLine(new BenchGpuCommand()).execute(args);
    }

    @Test
    void tinyOnTheCpuMeasuresEveryStageAndPassesTheGate(@TempDir Path tmp) throws Exception {
        Path json = tmp.resolve("gpu.json");
        int rc =
                run(
                        "--provider",
                        "cpu",
                        "--tiny",
                        "--cell-seconds",
                        "0.1",
                        "--json",
                        json.toString());
        assertThat(rc).isZero();
        JsonNode r = new ObjectMapper().readTree(json.toFile());
        JsonNode cells = r.get("cells");
        // Raw at batch 1 and 8, then the pipeline.
        assertThat(cells).hasSize(3);
        for (JsonNode c : cells) {
            assertThat(c.get("crops_per_second").asDouble()).as(c.toString()).isPositive();
            assertThat(c.get("p99_ms").asDouble())
                    .isGreaterThanOrEqualTo(c.get("p50_ms").asDouble());
            assertThat(c.get("cosine_vs_fp32").asDouble()).isGreaterThanOrEqualTo(0.999);
            assertThat(c.get("busy_fraction").asDouble()).isBetween(0.0, 1.0);
        }
        JsonNode pipeline = cells.get(2);
        assertThat(pipeline.get("stage").asText()).isEqualTo("pipeline");
        // Resize in the graph vs the Pillow path, both fp32 on the CPU: the same embeddings.
        assertThat(pipeline.get("cosine_vs_fp32").asDouble()).isGreaterThan(0.999999);
        JsonNode cpu = r.get("host_cpu").get(0);
        assertThat(cpu.get("decode_cpu_ms_per_crop").asDouble()).isPositive();
        assertThat(cpu.get("pillow_resize_pack_cpu_ms_per_crop").asDouble()).isPositive();
        assertThat(r.get("failures")).isEmpty();
    }

    @Test
    void withoutAGpuProviderItSaysHowToRunOnTheCpu() throws Exception {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream saved = System.err;
        int rc;
        System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            rc = run("--provider", "cuda", "--tiny", "--cell-seconds", "0.1");
        } finally {
            System.setErr(saved);
        }
        // this build ships the CPU-only ONNX Runtime, so CUDA is never available here
        assertThat(rc).isEqualTo(2);
        assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8))
                .contains("CUDA execution provider is not available")
                .contains("bench gpu --provider cpu");
    }
}

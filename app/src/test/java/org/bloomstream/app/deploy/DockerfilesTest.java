package org.bloomstream.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bloomstream.app.deploy.DeployFiles.path;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * docker/Dockerfile.*, without a Docker daemon: base images, what they copy from the build context
 * (and that .dockerignore lets it through), the non-root user, and the two Dockerfile linters from
 * docker/lint (npm) when they are installed; CI installs them and requires them.
 */
class DockerfilesTest {
    private static final String[] DOCKERFILES = {
        "docker/Dockerfile.job", "docker/Dockerfile.job-gpu", "docker/Dockerfile.ingest"
    };

    /** Build outputs the images copy: made by `mvn package` (-Pgpu for the GPU jar). */
    private static final List<String> BUILT =
            List.of(
                    "ingest/target/bloomstream-ingest-service.jar",
                    "job/target/bloomstream-job.jar",
                    "job/target/bloomstream-job-gpu.jar",
                    "job/target/bloomstream-onnxruntime.jar",
                    "job/target/bloomstream-onnxruntime-gpu.jar",
                    "ingest/target/lib/");

    record Instruction(String keyword, String args) {}

    static List<Instruction> instructions(String dockerfile) {
        String joined = DeployFiles.text(dockerfile).replaceAll("\\\\\\n", " ");
        List<Instruction> out = new ArrayList<>();
        for (String line : joined.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int space = l.indexOf(' ');
            out.add(
                    new Instruction(
                            l.substring(0, space).toUpperCase(), l.substring(space + 1).strip()));
        }
        return out;
    }

    /**
     * The FROM lines with the defaults of the ARGs declared before the first FROM filled in: what a
     * plain {@code docker build} uses (the cluster tier passes other bases, docker/test).
     */
    private static List<String> from(String dockerfile) {
        java.util.Map<String, String> args = new java.util.HashMap<>();
        List<String> out = new ArrayList<>();
        for (Instruction i : instructions(dockerfile)) {
            if (i.keyword().equals("ARG") && out.isEmpty() && i.args().contains("=")) {
                int eq = i.args().indexOf('=');
                args.put(i.args().substring(0, eq), i.args().substring(eq + 1));
            } else if (i.keyword().equals("FROM")) {
                String line = i.args();
                for (var a : args.entrySet()) {
                    line = line.replace("${" + a.getKey() + "}", a.getValue());
                }
                out.add(line);
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "docker/Dockerfile.job",
                "docker/Dockerfile.job-gpu",
                "docker/Dockerfile.ingest"
            })
    void everyBaseImageIsABuildArgument(String dockerfile) {
        for (Instruction i : instructions(dockerfile)) {
            if (i.keyword().equals("FROM")) {
                assertThat(i.args())
                        .as("%s: FROM ${ARG} so the cluster tier can build it locally", dockerfile)
                        .matches(
                                "\\$\\{[A-Z_]+\\}:(\\$\\{[A-Z_]+\\}|[A-Za-z0-9._-]+)( AS [a-z]+)?");
            }
        }
    }

    @Test
    void flinkImagesBuildOnTheOfficialImageOfTheFlinkWeCompileAgainst() {
        String official = "flink:" + ConfigKeys.flinkVersion() + "-java17";
        assertThat(from("docker/Dockerfile.job")).containsExactly(official);
        List<String> gpu = from("docker/Dockerfile.job-gpu");
        assertThat(gpu.get(0)).isEqualTo(official + " AS flink");
        assertThat(gpu.get(1))
                .as("CUDA 12 with cuDNN, runtime flavour")
                .matches("nvidia/cuda:12\\.[0-9]+\\.[0-9]+-cudnn-runtime-ubuntu[0-9.]+");
        String gpuText = DeployFiles.text("docker/Dockerfile.job-gpu");
        assertThat(gpuText)
                .contains("libnvinfer10=", "libnvinfer-plugin10=", "libnvonnxparsers10=");
        assertThat(gpuText)
                .contains(
                        "COPY --from=flink /opt/java/openjdk /opt/java/openjdk",
                        "COPY --from=flink --chown=flink:flink /opt/flink /opt/flink",
                        "COPY --from=flink /docker-entrypoint.sh /docker-entrypoint.sh");
        assertThat(from("docker/Dockerfile.ingest"))
                .containsExactly("eclipse-temurin:17-jre-noble");
    }

    @Test
    void theGpuImageTakesTheJarBuiltWithTheGpuProfile() {
        String pom = DeployFiles.text("job/pom.xml");
        assertThat(pom).contains("<job.jar.name>bloomstream-job</job.jar.name>");
        assertThat(pom).contains("<job.jar.name>bloomstream-job-gpu</job.jar.name>");
        assertThat(pom).contains("<artifactId>onnxruntime_gpu</artifactId>");
        assertThat(DeployFiles.text("docker/Dockerfile.job-gpu"))
                .contains(
                        "COPY --chown=flink:flink job/target/bloomstream-job-gpu.jar /opt/flink/usrlib/bloomstream-job.jar");
        assertThat(DeployFiles.text("docker/Dockerfile.job"))
                .contains(
                        "COPY --chown=flink:flink job/target/bloomstream-job.jar /opt/flink/usrlib/bloomstream-job.jar");
        // ONNX Runtime and DJL in Flink's lib/, loaded once per TaskManager (issue 17)
        assertThat(pom)
                .contains("<flink.lib.jar.name>bloomstream-onnxruntime</flink.lib.jar.name>")
                .contains("<flink.lib.jar.name>bloomstream-onnxruntime-gpu</flink.lib.jar.name>");
        assertThat(DeployFiles.text("docker/Dockerfile.job-gpu"))
                .contains(
                        "COPY --chown=flink:flink job/target/bloomstream-onnxruntime-gpu.jar /opt/flink/lib/bloomstream-onnxruntime-gpu.jar");
        assertThat(DeployFiles.text("docker/Dockerfile.job"))
                .contains(
                        "COPY --chown=flink:flink job/target/bloomstream-onnxruntime.jar /opt/flink/lib/bloomstream-onnxruntime.jar");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "docker/Dockerfile.job",
                "docker/Dockerfile.job-gpu",
                "docker/Dockerfile.ingest"
            })
    void copiesOnlyWhatTheBuildContextHas(String dockerfile) {
        List<String> allowed = dockerignoreExceptions();
        for (Instruction i : instructions(dockerfile)) {
            if (!i.keyword().equals("COPY") || i.args().contains("--from=")) {
                continue;
            }
            List<String> parts = new ArrayList<>(List.of(i.args().split("\\s+")));
            parts.removeIf(p -> p.startsWith("--"));
            for (String source : parts.subList(0, parts.size() - 1)) {
                assertThat(allowed)
                        .as("%s: .dockerignore lets %s into the build context", dockerfile, source)
                        .anyMatch(source::startsWith);
                if (BUILT.stream().noneMatch(source::startsWith)) {
                    assertThat(path(source)).as("%s copies %s", dockerfile, source).exists();
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "docker/Dockerfile.job",
                "docker/Dockerfile.job-gpu",
                "docker/Dockerfile.ingest"
            })
    void runsAsANonRootUser(String dockerfile) {
        List<Instruction> all = instructions(dockerfile);
        int lastFrom = 0;
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).keyword().equals("FROM")) {
                lastFrom = i;
            }
        }
        List<String> users =
                all.subList(lastFrom, all.size()).stream()
                        .filter(i -> i.keyword().equals("USER"))
                        .map(Instruction::args)
                        .toList();
        assertThat(users).as("%s sets USER in its final stage", dockerfile).isNotEmpty();
        String user = users.get(users.size() - 1).split(":")[0];
        assertThat(user).isNotIn("root", "0");
    }

    private static List<String> dockerignoreExceptions() {
        List<String> out = new ArrayList<>();
        for (String line : DeployFiles.text(".dockerignore").split("\n")) {
            if (line.startsWith("!")) {
                out.add(line.substring(1).strip());
            }
        }
        assertThat(DeployFiles.text(".dockerignore")).contains("\n*\n");
        return out;
    }

    // ---- linters --------------------------------------------------------------------------------

    @Test
    void dockerfilesPassBothLinters() throws Exception {
        Path bin = path("docker/lint/node_modules/.bin");
        boolean installed =
                Files.isExecutable(bin.resolve("dockerfile-utils"))
                        && Files.isExecutable(bin.resolve("dockerfilelint"));
        if (!installed) {
            assertThat(System.getenv("BLOOMSTREAM_REQUIRE_DOCKERFILE_LINT"))
                    .as("CI requires the Dockerfile linters: npm ci --prefix docker/lint")
                    .isNotEqualTo("1");
            Assumptions.abort("Dockerfile linters not installed: npm ci --prefix docker/lint");
        }
        for (String dockerfile : DOCKERFILES) {
            Result utils =
                    run(
                            bin.resolve("dockerfile-utils").toString(),
                            "lint",
                            path(dockerfile).toString());
            assertThat(utils.exit())
                    .as("dockerfile-utils lint %s:%n%s", dockerfile, utils.out())
                    .isZero();
            assertThat(utils.out()).as("dockerfile-utils lint %s", dockerfile).isBlank();
            Result lint =
                    run(bin.resolve("dockerfilelint").toString(), path(dockerfile).toString());
            assertThat(lint.exit()).as("dockerfilelint %s:%n%s", dockerfile, lint.out()).isZero();
            assertThat(lint.out()).contains("Issues: None found");
        }
        // the linters do report problems
        Path bad = Files.createTempFile("Dockerfile", ".bad");
        try {
            Files.writeString(bad, "FROM flink:2.2.1-java17\nRUNN echo hi\nEXPOSE 99999\n");
            assertThat(
                            run(bin.resolve("dockerfile-utils").toString(), "lint", bad.toString())
                                    .exit())
                    .isNotZero();
            assertThat(run(bin.resolve("dockerfilelint").toString(), bad.toString()).exit())
                    .isNotZero();
        } finally {
            Files.deleteIfExists(bad);
        }
    }

    record Result(int exit, String out) {}

    private static Result run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }
}
